"""surveys

Surveys and inquiries (調査・照会) to municipalities: the survey, its targets and questions,
one answer per municipality with its submitted versions (append-only) and uploaded files.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:51:00.985198

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('reminder_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('target_all', sa.Boolean(), nullable=False),
    sa.Column('target_region_ids', sa.JSON(), nullable=True),
    sa.Column('target_population_bands', sa.JSON(), nullable=True),
    sa.Column('target_dx_staff_bands', sa.JSON(), nullable=True),
    sa.Column('target_municipality_ids', sa.JSON(), nullable=True),
    sa.Column('recipient_role', sa.String(length=40), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f('ck_surveys_status')),
    sa.CheckConstraint('reminder_days BETWEEN 0 AND 20', name=op.f('ck_surveys_reminder_days')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_surveys_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index('ix_surveys_status_deadline', ['status', 'deadline'], unique=False)

    op.create_table('survey_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('help_text', sa.Text(), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=True),
    sa.Column('status_item_key', sa.String(length=80), nullable=True),
    sa.CheckConstraint("kind IN ('short_text', 'long_text', 'number', 'single_choice', 'multiple_choice', 'date', 'file', 'table')", name=op.f('ck_survey_questions_kind')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_questions_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_questions'))
    )
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_questions_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_submitted_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_survey_responses_status')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_survey_responses_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_survey_responses_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_responses_survey_id_surveys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_survey_responses_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
    sa.UniqueConstraint('survey_id', 'municipality_id', name='uq_survey_responses')
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_responses_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_responses_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_survey_targets_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_targets_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_targets')),
    sa.UniqueConstraint('survey_id', 'municipality_id', name='uq_survey_targets')
    )
    with op.batch_alter_table('survey_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_targets_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_targets_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_files_question_id_survey_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], name=op.f('fk_survey_files_response_id_survey_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_survey_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_files')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_survey_files_stored_name'))
    )
    with op.batch_alter_table('survey_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_files_response_id'), ['response_id'], unique=False)

    op.create_table('survey_response_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], name=op.f('fk_survey_response_versions_response_id_survey_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_survey_response_versions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response_versions')),
    sa.UniqueConstraint('response_id', 'version', name='uq_survey_response_versions')
    )
    with op.batch_alter_table('survey_response_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_response_versions_response_id'), ['response_id'], unique=False)



def downgrade():
    with op.batch_alter_table('survey_response_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_versions_response_id'))

    op.drop_table('survey_response_versions')
    with op.batch_alter_table('survey_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_files_response_id'))

    op.drop_table('survey_files')
    with op.batch_alter_table('survey_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_targets_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_targets_municipality_id'))

    op.drop_table('survey_targets')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_responses_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_responses_municipality_id'))

    op.drop_table('survey_responses')
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_questions_survey_id'))

    op.drop_table('survey_questions')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index('ix_surveys_status_deadline')

    op.drop_table('surveys')
