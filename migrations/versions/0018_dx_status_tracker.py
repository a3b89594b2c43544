"""dx status tracker

The catalogue of status items (status_items), each municipality's values with their history
(status_values: who, when, from what, as of which date) and the standardisation progress of
the 20 core business systems (system_migrations, history the same way). The catalogue and the
import of the profile facts already on municipalities (as source 'import') are made by the
reference seed (`flask seed`, idempotent), which reads supportdesk/data/status_items.json.

Revision ID: 0018
Revises: 0020
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('status_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('label_ja', sa.String(length=120), nullable=False),
    sa.Column('label_en', sa.String(length=120), nullable=False),
    sa.Column('item_type', sa.String(length=12), nullable=False),
    sa.Column('item_group', sa.String(length=20), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=True),
    sa.Column('steps_en', sa.JSON(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('profile_field', sa.String(length=40), nullable=True),
    sa.CheckConstraint("item_group IN ('procedure', 'priority', 'profile')", name=op.f('ck_status_items_item_group')),
    sa.CheckConstraint("item_type IN ('step', 'yesno', 'percentage', 'date', 'text')", name=op.f('ck_status_items_item_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_items')),
    sa.UniqueConstraint('key', name=op.f('uq_status_items_key'))
    )
    op.create_table('status_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('value_number', sa.Float(), nullable=True),
    sa.Column('value_date', sa.Date(), nullable=True),
    sa.Column('value_text', sa.Text(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('set_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('source_kind', sa.String(length=10), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=True),
    sa.CheckConstraint("source_kind IN ('edit', 'round', 'survey', 'import')", name=op.f('ck_status_values_source_kind')),
    sa.ForeignKeyConstraint(['item_id'], ['status_items.id'], name=op.f('fk_status_values_item_id_status_items')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_status_values_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_status_values_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_values'))
    )
    with op.batch_alter_table('status_values', schema=None) as batch_op:
        batch_op.create_index('ix_status_values_current', ['municipality_id', 'item_id', 'as_of'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_values_item_id'), ['item_id'], unique=False)

    op.create_table('system_migrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('system_code', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=True),
    sa.Column('migrated_on', sa.Date(), nullable=True),
    sa.Column('special_support', sa.Boolean(), nullable=False),
    sa.Column('vendor', sa.String(length=100), nullable=True),
    sa.Column('line_contracted', sa.Boolean(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('set_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('source_kind', sa.String(length=10), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=True),
    sa.CheckConstraint("source_kind IN ('edit', 'round', 'survey', 'import')", name=op.f('ck_system_migrations_source_kind')),
    sa.CheckConstraint("status IN ('not_started', 'preparing', 'migrating', 'migrated')", name=op.f('ck_system_migrations_status')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_system_migrations_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_system_migrations_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_system_migrations'))
    )
    with op.batch_alter_table('system_migrations', schema=None) as batch_op:
        batch_op.create_index('ix_system_migrations_current', ['municipality_id', 'system_code', 'as_of'], unique=False)



def downgrade():
    with op.batch_alter_table('system_migrations', schema=None) as batch_op:
        batch_op.drop_index('ix_system_migrations_current')

    op.drop_table('system_migrations')
    with op.batch_alter_table('status_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_values_item_id'))
        batch_op.drop_index('ix_status_values_current')

    op.drop_table('status_values')
    op.drop_table('status_items')
