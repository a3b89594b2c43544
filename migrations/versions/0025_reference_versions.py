"""reference list version counter

One row per cached reference list family: the workers' caches of municipalities, regions,
themes, liaisons and reply templates compare their version with it once per request.

Revision ID: 0025
Revises: 0021
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('reference_versions',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_reference_versions'))
    )
    op.bulk_insert(table, [{'name': 'reference', 'version': 0}])


def downgrade():
    op.drop_table('reference_versions')
