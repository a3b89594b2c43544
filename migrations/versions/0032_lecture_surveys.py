"""lecture satisfaction on the survey engine

A survey has a kind: an inquiry (照会) to municipalities, or a held lecture's satisfaction
survey (one per lecture, visit_id), whose questions a liaison adds beside the default 5-point
question. The answers stay satisfaction responses (their rating is the default question, read
by the reports as before; no row moves); the added questions' answers go in their `answers`.

Revision ID: 0032
Revises: 0030
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0032'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='inquiry',
                                      nullable=False))
        batch_op.add_column(sa.Column('visit_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_surveys_visit_id'), ['visit_id'])
        batch_op.create_foreign_key(batch_op.f('fk_surveys_visit_id_visits'), 'visits',
                                    ['visit_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint('kind', "kind IN ('inquiry', 'lecture')")
        batch_op.create_check_constraint('kind_visit',
                                         "(kind = 'lecture') = (visit_id IS NOT NULL)")

    with op.batch_alter_table('satisfaction_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('satisfaction_responses', schema=None) as batch_op:
        batch_op.drop_column('answers')

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_surveys_kind_visit'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_surveys_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_surveys_visit_id_visits'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_surveys_visit_id'), type_='unique')
        batch_op.drop_column('visit_id')
        batch_op.drop_column('kind')
