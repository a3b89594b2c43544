"""joint projects

Joint projects (この指とまれ方式): the project, the municipalities it is open to, its milestones,
each municipality's answer with its append-only revisions, notices and documents to the
participants, and the service kinds (水道事業...) of the municipalities that projects match.

Revision ID: 0035
Revises: 0033
Create Date: 2026-12-03 18:36:15.986873

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('municipality_service_kinds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.CheckConstraint("kind IN ('water', 'sewerage', 'industrial_water', 'hospital', 'transport')", name=op.f('ck_municipality_service_kinds_kind')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_municipality_service_kinds_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipality_service_kinds')),
    sa.UniqueConstraint('municipality_id', 'kind', name='uq_municipality_service_kinds')
    )
    with op.batch_alter_table('municipality_service_kinds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_municipality_service_kinds_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('eligibility', sa.String(length=20), nullable=False),
    sa.Column('eligible_region_ids', sa.JSON(), nullable=True),
    sa.Column('eligible_service_kinds', sa.JSON(), nullable=True),
    sa.Column('join_deadline', sa.Date(), nullable=False),
    sa.Column('cost_kind', sa.String(length=20), nullable=False),
    sa.Column('cost_fixed_yen', sa.BigInteger(), nullable=True),
    sa.Column('cost_base_yen', sa.BigInteger(), nullable=True),
    sa.Column('cost_per_capita_yen', sa.BigInteger(), nullable=True),
    sa.Column('funding_name', sa.String(length=200), nullable=True),
    sa.Column('subsidy_rate_num', sa.Integer(), nullable=True),
    sa.Column('subsidy_rate_den', sa.Integer(), nullable=True),
    sa.Column('contract_note', sa.Text(), nullable=True),
    sa.Column('coordinator', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("cost_kind IN ('fixed', 'per_capita', 'agreed')", name=op.f('ck_projects_cost_kind')),
    sa.CheckConstraint("eligibility IN ('all', 'regions', 'service_kinds')", name=op.f('ck_projects_eligibility')),
    sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f('ck_projects_status')),
    sa.CheckConstraint('subsidy_rate_num IS NULL OR (subsidy_rate_num >= 0 AND subsidy_rate_den > 0 AND subsidy_rate_num <= subsidy_rate_den)', name=op.f('ck_projects_subsidy_rate')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_projects_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index('ix_projects_status_fiscal_year', ['status', 'fiscal_year'], unique=False)

    op.create_table('project_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=20), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('agreed_yen', sa.BigInteger(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("answer IN ('join', 'considering', 'decline')", name=op.f('ck_project_answers_answer')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_project_answers_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_answers_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_project_answers_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_answers')),
    sa.UniqueConstraint('project_id', 'municipality_id', name='uq_project_answers')
    )
    with op.batch_alter_table('project_answers', schema=None) as batch_op:
        batch_op.create_index('ix_project_answers_answer', ['project_id', 'answer'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_answers_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_answers_project_id'), ['project_id'], unique=False)

    op.create_table('project_eligibles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_project_eligibles_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_eligibles_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_eligibles')),
    sa.UniqueConstraint('project_id', 'municipality_id', name='uq_project_eligibles')
    )
    with op.batch_alter_table('project_eligibles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_eligibles_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_eligibles_project_id'), ['project_id'], unique=False)

    op.create_table('project_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'done', 'delayed')", name=op.f('ck_project_milestones_status')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_milestones_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_milestones'))
    )
    with op.batch_alter_table('project_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_milestones_project_id'), ['project_id'], unique=False)

    op.create_table('project_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=False),
    sa.Column('posted_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('municipality_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['posted_by_id'], ['users.id'], name=op.f('fk_project_notices_posted_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_notices_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_notices'))
    )
    with op.batch_alter_table('project_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_notices_project_id'), ['project_id'], unique=False)

    op.create_table('project_answer_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=20), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('agreed_yen', sa.BigInteger(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('via_liaison', sa.Boolean(), nullable=False),
    sa.Column('after_deadline', sa.Boolean(), nullable=False),
    sa.CheckConstraint("answer IN ('join', 'considering', 'decline')", name=op.f('ck_project_answer_revisions_answer')),
    sa.ForeignKeyConstraint(['answer_id'], ['project_answers.id'], name=op.f('fk_project_answer_revisions_answer_id_project_answers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_project_answer_revisions_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_answer_revisions')),
    sa.UniqueConstraint('answer_id', 'revision', name='uq_project_answer_revisions')
    )
    with op.batch_alter_table('project_answer_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_answer_revisions_answer_id'), ['answer_id'], unique=False)

    op.create_table('project_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['project_notices.id'], name=op.f('fk_project_documents_notice_id_project_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_project_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_project_documents_stored_name'))
    )
    with op.batch_alter_table('project_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_documents_notice_id'), ['notice_id'], unique=False)



def downgrade():
    with op.batch_alter_table('project_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_documents_notice_id'))

    op.drop_table('project_documents')
    with op.batch_alter_table('project_answer_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_answer_revisions_answer_id'))

    op.drop_table('project_answer_revisions')
    with op.batch_alter_table('project_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_notices_project_id'))

    op.drop_table('project_notices')
    with op.batch_alter_table('project_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_milestones_project_id'))

    op.drop_table('project_milestones')
    with op.batch_alter_table('project_eligibles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_eligibles_project_id'))
        batch_op.drop_index(batch_op.f('ix_project_eligibles_municipality_id'))

    op.drop_table('project_eligibles')
    with op.batch_alter_table('project_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_answers_project_id'))
        batch_op.drop_index(batch_op.f('ix_project_answers_municipality_id'))
        batch_op.drop_index('ix_project_answers_answer')

    op.drop_table('project_answers')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index('ix_projects_status_fiscal_year')

    op.drop_table('projects')
    with op.batch_alter_table('municipality_service_kinds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_municipality_service_kinds_municipality_id'))

    op.drop_table('municipality_service_kinds')
