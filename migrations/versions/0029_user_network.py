"""users.network: the network (host name) a user's links are built for

Revision ID: 0029
Revises: 0023
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network', sa.String(length=40), nullable=True))


def downgrade():
    # SQLite: the native DROP COLUMN (3.35+), not a batch rebuild, which fails once other
    # tables' rows point at users (DROP TABLE under foreign keys).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN network")
        return
    op.drop_column('users', 'network')
