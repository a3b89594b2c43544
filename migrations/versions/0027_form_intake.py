"""form services: connections (LoGoフォーム...), their answers once per 回答ID, revisions

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 16:00:00

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil  # noqa: F401  (UTCDateTime columns)


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('default_kind', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("mode IN ('draft', 'submit')", name=op.f('ck_form_connections_mode')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_form_connections_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_connections')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_form_connections_token_hash'))
    )
    op.create_table('form_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('received_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('filed', 'waiting', 'ignored')",
                       name=op.f('ck_form_answers_status')),
    sa.ForeignKeyConstraint(['connection_id'], ['form_connections.id'],
                            name=op.f('fk_form_answers_connection_id_form_connections')),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'],
                            name=op.f('fk_form_answers_request_id_support_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_answers')),
    sa.UniqueConstraint('connection_id', 'answer_id', name=op.f('uq_form_answers_connection_id'))
    )
    op.create_table('form_answer_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_pk', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answer_pk'], ['form_answers.id'],
                            name=op.f('fk_form_answer_revisions_answer_pk_form_answers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_answer_revisions'))
    )
    with op.batch_alter_table('form_answer_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_answer_revisions_answer_pk'), ['answer_pk'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('form_answer_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_answer_revisions_answer_pk'))
    op.drop_table('form_answer_revisions')
    op.drop_table('form_answers')
    op.drop_table('form_connections')
