"""engagement outcome, participant survey links

An engagement's outcome is structured: 目標の達成度 (achievement), what was put in place and
what follows, beside the remarks (outcome) it had. A held lecture's filer can forward a link
to the participants: their answers are satisfaction responses without a respondent
(source 'participant'); the staff's own answers are source 'filer'.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('achievement', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('put_in_place', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('next_steps', sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            'achievement',
            "achievement IS NULL OR achievement IN ('achieved', 'partly', 'not_achieved', 'stopped')")

    op.create_table('participant_survey_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_participant_survey_links_created_by_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_participant_survey_links_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant_survey_links')),
    sa.UniqueConstraint('token', name=op.f('uq_participant_survey_links_token')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_participant_survey_links_visit_id'))
    )

    with op.batch_alter_table('satisfaction_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=False,
                                      server_default='filer'))
        batch_op.alter_column('respondent_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            'source', "(source = 'filer' AND respondent_id IS NOT NULL) OR "
                      "(source = 'participant' AND respondent_id IS NULL)")


def downgrade():
    op.execute("DELETE FROM satisfaction_responses WHERE respondent_id IS NULL")
    with op.batch_alter_table('satisfaction_responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_satisfaction_responses_source'), type_='check')
        batch_op.alter_column('respondent_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('source')
    op.drop_table('participant_survey_links')
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_engagements_achievement'), type_='check')
        batch_op.drop_column('next_steps')
        batch_op.drop_column('put_in_place')
        batch_op.drop_column('achievement')
