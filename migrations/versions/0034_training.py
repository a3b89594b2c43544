"""training: the course catalogue, applications and waiting list, course material, and the
市町DX推進リーダー cohorts (trainees, progress log); the contact role dx_leader

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-03 18:50:00

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil  # noqa: F401  (UTCDateTime columns)


revision = '0034'
down_revision = '0032'
branch_labels = None
depends_on = None

ROLES = ('mayor', 'cio', 'cio_adviser', 'cdo', 'info_head', 'dx_officer', 'external_talent')


def _roles_check(roles):
    return "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"


def _dt():
    return supportdesk.timeutil.UTCDateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_contacts_role'), type_='check')
        batch_op.create_check_constraint('role', _roles_check(ROLES + ('dx_leader',)))

    op.create_table('training_courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('apply_by', sa.Date(), nullable=False),
    sa.Column('requires_approval', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('target_all', sa.Boolean(), nullable=False),
    sa.Column('target_region_ids', sa.JSON(), nullable=True),
    sa.Column('target_population_bands', sa.JSON(), nullable=True),
    sa.Column('target_dx_staff_bands', sa.JSON(), nullable=True),
    sa.Column('target_municipality_ids', sa.JSON(), nullable=True),
    sa.Column('target_contact_roles', sa.JSON(), nullable=True),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', _dt(), nullable=False),
    sa.Column('published_at', _dt(), nullable=True),
    sa.CheckConstraint("level IN ('intro', 'basic', 'practical', 'advanced')", name=op.f('ck_training_courses_level')),
    sa.CheckConstraint("format IN ('in_person', 'online', 'elearning')", name=op.f('ck_training_courses_format')),
    sa.CheckConstraint("status IN ('draft', 'published', 'cancelled')", name=op.f('ck_training_courses_status')),
    sa.CheckConstraint("audience IN ('info', 'all')", name=op.f('ck_training_courses_audience')),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_training_courses_capacity')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_training_courses_period')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_training_courses_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_courses'))
    )
    with op.batch_alter_table('training_courses', schema=None) as batch_op:
        batch_op.create_index('ix_training_courses_status_starts', ['status', 'starts_on'], unique=False)

    op.create_table('training_course_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['training_courses.id'], name=op.f('fk_training_course_targets_course_id_training_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_training_course_targets_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_course_targets')),
    sa.UniqueConstraint('course_id', 'municipality_id', name='uq_training_course_targets')
    )
    with op.batch_alter_table('training_course_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_course_targets_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_course_targets_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('training_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('applied_at', _dt(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', _dt(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('waitlisted_at', _dt(), nullable=True),
    sa.Column('completed_at', _dt(), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', _dt(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'waitlisted', 'rejected', 'cancelled', 'completed')", name=op.f('ck_training_applications_status')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_training_applications_completed_by_id_users')),
    sa.ForeignKeyConstraint(['course_id'], ['training_courses.id'], name=op.f('fk_training_applications_course_id_training_courses')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_training_applications_decided_by_id_users')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_training_applications_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_applications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_applications'))
    )
    with op.batch_alter_table('training_applications', schema=None) as batch_op:
        batch_op.create_index('ix_training_applications_course_status', ['course_id', 'status'], unique=False)
        batch_op.create_index('ix_training_applications_municipality', ['municipality_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_applications_user_id'), ['user_id'], unique=False)

    op.create_table('training_materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', _dt(), nullable=False),
    sa.CheckConstraint("kind IN ('slides', 'video', 'text')", name=op.f('ck_training_materials_kind')),
    sa.ForeignKeyConstraint(['course_id'], ['training_courses.id'], name=op.f('fk_training_materials_course_id_training_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_training_materials_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_materials'))
    )
    with op.batch_alter_table('training_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_materials_course_id'), ['course_id'], unique=False)

    op.create_table('leader_cohorts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', _dt(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_leader_cohorts_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leader_cohorts'))
    )

    op.create_table('leader_trainees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('term', sa.String(length=12), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('host_department', sa.String(length=200), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=True),
    sa.Column('learning_plan', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('completed_at', _dt(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('created_at', _dt(), nullable=False),
    sa.CheckConstraint("term IN ('one_week', 'six_months')", name=op.f('ck_leader_trainees_term')),
    sa.CheckConstraint("status IN ('in_training', 'completed', 'withdrawn')", name=op.f('ck_leader_trainees_status')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_leader_trainees_period')),
    sa.ForeignKeyConstraint(['cohort_id'], ['leader_cohorts.id'], name=op.f('fk_leader_trainees_cohort_id_leader_cohorts')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_leader_trainees_contact_id_contacts')),
    sa.ForeignKeyConstraint(['mentor_id'], ['users.id'], name=op.f('fk_leader_trainees_mentor_id_users')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_leader_trainees_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_leader_trainees_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leader_trainees'))
    )
    with op.batch_alter_table('leader_trainees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leader_trainees_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index('ix_leader_trainees_municipality_status', ['municipality_id', 'status'], unique=False)

    op.create_table('leader_progress_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', _dt(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_leader_progress_entries_author_id_users')),
    sa.ForeignKeyConstraint(['trainee_id'], ['leader_trainees.id'], name=op.f('fk_leader_progress_entries_trainee_id_leader_trainees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leader_progress_entries'))
    )
    with op.batch_alter_table('leader_progress_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leader_progress_entries_trainee_id'), ['trainee_id'], unique=False)


def downgrade():
    op.drop_table('leader_progress_entries')
    op.drop_table('leader_trainees')
    op.drop_table('leader_cohorts')
    op.drop_table('training_materials')
    op.drop_table('training_applications')
    op.drop_table('training_course_targets')
    op.drop_table('training_courses')
    op.execute("DELETE FROM contacts WHERE role = 'dx_leader'")
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_contacts_role'), type_='check')
        batch_op.create_check_constraint('role', _roles_check(ROLES))
