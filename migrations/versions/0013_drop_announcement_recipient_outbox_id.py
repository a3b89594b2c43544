"""announcement recipients no longer point at an outbox row

The chat row of an announcement is written when the unit of work commits, after the recipient
row, so the column was never filled; the delivery report finds the row by announcement and
municipality instead.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 06:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('announcement_recipients', schema=None) as batch_op:
        batch_op.drop_constraint('fk_announcement_recipients_outbox_id_outbox_messages',
                                 type_='foreignkey')
        batch_op.drop_column('outbox_id')


def downgrade():
    with op.batch_alter_table('announcement_recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outbox_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_announcement_recipients_outbox_id_outbox_messages',
                                    'outbox_messages', ['outbox_id'], ['id'])
