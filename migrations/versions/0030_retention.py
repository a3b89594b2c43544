"""retention under 公文書管理: policies per record kind, decisions on records whose period ends

retention_policies holds each record kind's retention class and default disposition (seeded
with the defaults), retention_records the spring list and what admins decided about it.

Revision ID: 0030
Revises: 0031
Create Date: 2026-12-03 18:40:00

"""
import sqlalchemy as sa
from alembic import op

import supportdesk.timeutil

revision = '0030'
down_revision = '0031'
branch_labels = None
depends_on = None

KINDS = "kind IN ('request', 'visit_record', 'round_record', 'survey', 'meeting_minutes', 'audit_log')"
CLASSES = "retention_class IN ('1', '3', '5', '10', '30', 'permanent')"
DISPOSITIONS = "disposition IN ('transfer', 'destroy')"
STATUSES = "status IN ('due', 'confirmed', 'disposed', 'transferred')"
# The defaults as they stand at this revision (services/retention/kinds.py may change later).
DEFAULTS = [("request", "5", "destroy"), ("visit_record", "5", "destroy"),
            ("round_record", "5", "destroy"), ("survey", "10", "transfer"),
            ("meeting_minutes", "10", "transfer"), ("audit_log", "10", "transfer")]


def upgrade():
    policies = op.create_table('retention_policies',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('retention_class', sa.String(length=10), nullable=False),
    sa.Column('disposition', sa.String(length=10), nullable=False),
    sa.Column('updated_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint(KINDS, name=op.f('ck_retention_policies_kind')),
    sa.CheckConstraint(CLASSES, name=op.f('ck_retention_policies_retention_class')),
    sa.CheckConstraint(DISPOSITIONS, name=op.f('ck_retention_policies_disposition')),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_retention_policies'))
    )
    op.bulk_insert(policies, [{"kind": k, "retention_class": c, "disposition": d}
                              for k, c, d in DEFAULTS])
    op.create_table('retention_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=False),
    sa.Column('retention_class', sa.String(length=10), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('disposition', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('legal_hold', sa.Boolean(), nullable=False),
    sa.Column('hold_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('archive_path', sa.String(length=300), nullable=True),
    sa.Column('created_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint(KINDS, name=op.f('ck_retention_records_kind')),
    sa.CheckConstraint(CLASSES, name=op.f('ck_retention_records_retention_class')),
    sa.CheckConstraint(DISPOSITIONS, name=op.f('ck_retention_records_disposition')),
    sa.CheckConstraint(STATUSES, name=op.f('ck_retention_records_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                            name=op.f('fk_retention_records_decided_by_id_users')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                            name=op.f('fk_retention_records_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_records')),
    sa.UniqueConstraint('kind', 'record_id', name='uq_retention_records_kind_record')
    )
    with op.batch_alter_table('retention_records', schema=None) as batch_op:
        batch_op.create_index('ix_retention_records_status_ends', ['status', 'ends_on'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('retention_records', schema=None) as batch_op:
        batch_op.drop_index('ix_retention_records_status_ends')
    op.drop_table('retention_records')
    op.drop_table('retention_policies')
