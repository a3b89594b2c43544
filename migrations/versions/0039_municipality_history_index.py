"""municipality history index

A covering index for the municipality page: its requests' counts by year, kind and state, its
newest requests, the ids its timeline reads events for and the months of its chart come from
the index alone (bench/pages_bench.py), in (municipality_id, submitted_at, id) order.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06 21:00:00

"""
from alembic import op


revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.create_index('ix_support_requests_muni_history', ['municipality_id', 'submitted_at', 'id', 'state', 'kind', 'fiscal_year', 'created_at', 'filer_id', 'created_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_support_requests_muni_history')
