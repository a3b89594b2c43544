"""region membership history

Which region each municipality belonged to, and when, so that a move made by an admin keeps
the past: reports place contacts and visits in the region of their moment. Every existing
municipality starts with one row for its current region, open on both sides.

Revision ID: 0038
Revises: 0036
Create Date: 2026-12-04 18:50:00

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil

revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('region_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('valid_to', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from', name=op.f('ck_region_memberships_valid_period')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_region_memberships_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_region_memberships_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_region_memberships'))
    )
    with op.batch_alter_table('region_memberships', schema=None) as batch_op:
        batch_op.create_index('ix_region_memberships_municipality_period', ['municipality_id', 'valid_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_region_memberships_region_id'), ['region_id'], unique=False)
    op.execute("INSERT INTO region_memberships (municipality_id, region_id, valid_from, valid_to) "
               "SELECT id, region_id, NULL, NULL FROM municipalities")


def downgrade():
    with op.batch_alter_table('region_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_region_memberships_region_id'))
        batch_op.drop_index('ix_region_memberships_municipality_period')
    op.drop_table('region_memberships')
