"""inbound mail: replies by e-mail, drafts from mail, held and dropped mail

- inbound_mails: one row per message that reached the desk (mail-in / mail-poll), unique by
  its dedupe key (Message-ID plus a digest of what the sender wrote), so each message is
  processed once.

Revision ID: 0026
Revises: 0017
Create Date: 2026-12-03 15:30:00

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil  # noqa: F401  (UTCDateTime columns)


revision = '0026'
down_revision = '0017'
branch_labels = None
depends_on = None

_OUTCOME = "outcome IN ('comment', 'draft', 'held', 'dropped', 'refused', 'dismissed')"


def upgrade():
    op.create_table('inbound_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('received_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('from_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint(_OUTCOME, name=op.f('ck_inbound_mails_outcome')),
    sa.ForeignKeyConstraint(['comment_id'], ['request_comments.id'],
                            name=op.f('fk_inbound_mails_comment_id_request_comments')),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'],
                            name=op.f('fk_inbound_mails_request_id_support_requests')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'],
                            name=op.f('fk_inbound_mails_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inbound_mails_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mails')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_inbound_mails_dedupe_key'))
    )
    with op.batch_alter_table('inbound_mails', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_mails_outcome_received', ['outcome', 'received_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mails_request_id'), ['request_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('inbound_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_mails_request_id'))
        batch_op.drop_index('ix_inbound_mails_outcome_received')
    op.drop_table('inbound_mails')
