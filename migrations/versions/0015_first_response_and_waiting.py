"""first response by what the municipality sees; waiting periods; 情報部門 reach

- request_waiting_periods: 市町の回答待ち / 人材の回答待ち, with the business days waited;
  support_requests.waiting_for / waiting_since for the queue.
- support_requests.info_dept_reached: whether the 情報部門 share reached anyone, filled from
  the info_shared events of existing requests.
- first_response_at is recomputed by the new rule: the first reply or contact the municipality
  can see (a reply that is not an internal note, a support action, a visit proposed or
  confirmed, 日程確定 / 実施済 / 回答済 / 完了 / 対応不可, or the submission of a push-type
  request) by someone who is not municipal staff. Taking the request (triage) no longer counts.
  The rule is written out here in SQL rather than imported, so the migration keeps meaning
  what it meant.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil  # noqa: F401  (UTCDateTime columns)


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_WAITING_FOR = "waiting_for IN ('municipality', 'expert')"
_ENDED = "ended_reason IN ('municipality_replied', 'expert_responded', 'manual', 'closed')"

_FIRST_RESPONSE = """
UPDATE support_requests SET first_response_at = (
    SELECT MIN(e.at) FROM request_events e JOIN users u ON u.id = e.actor_id
    WHERE e.request_id = support_requests.id
      AND u.role <> 'municipal_staff'
      AND NOT e.internal
      AND (e.kind IN ('comment', 'support')
           OR (e.kind = 'visit' AND e.action IN ('visit_proposed', 'visit_confirmed'))
           OR (e.kind = 'state' AND e.action IN ('schedule', 'deliver', 'answer', 'close',
                                                  'decline'))
           OR (e.kind = 'state' AND e.action = 'submit' AND support_requests.origin = 'push')))
WHERE submitted_at IS NOT NULL
"""


def upgrade():
    op.create_table('request_waiting_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('waiting_for', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('started_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=False),
    sa.Column('ended_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_reason', sa.String(length=30), nullable=True),
    sa.Column('business_days', sa.Integer(), nullable=True),
    sa.CheckConstraint(_WAITING_FOR, name=op.f('ck_request_waiting_periods_waiting_for')),
    sa.CheckConstraint(_ENDED, name=op.f('ck_request_waiting_periods_ended_reason')),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'],
                            name=op.f('fk_request_waiting_periods_request_id_support_requests'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'],
                            name=op.f('fk_request_waiting_periods_started_by_id_users')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'],
                            name=op.f('fk_request_waiting_periods_ended_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_waiting_periods'))
    )
    with op.batch_alter_table('request_waiting_periods', schema=None) as batch_op:
        batch_op.create_index('ix_request_waiting_periods_request_ended',
                              ['request_id', 'ended_at'], unique=False)

    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('info_dept_reached', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('waiting_for', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('waiting_since', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_support_requests_waiting_for'), ['waiting_for'],
                              unique=False)

    conn = op.get_bind()
    _fill_info_dept_reached(conn)
    conn.execute(sa.text(_FIRST_RESPONSE))


def _fill_info_dept_reached(conn):
    """The last info_shared event of each request says whether the share reached anyone."""
    events = sa.table("request_events", sa.column("id", sa.Integer),
                      sa.column("request_id", sa.Integer), sa.column("kind", sa.String),
                      sa.column("data", sa.JSON))
    requests = sa.table("support_requests", sa.column("id", sa.Integer),
                        sa.column("info_dept_reached", sa.Boolean))
    reached = {}
    for rid, data in conn.execute(sa.select(events.c.request_id, events.c.data)
                                  .where(events.c.kind == "info_shared").order_by(events.c.id)):
        data = data or {}
        reached[rid] = bool(data.get("reached", data.get("users") or data.get("rooms")))
    if reached:
        conn.execute(sa.update(requests).where(requests.c.id == sa.bindparam("rid"))
                     .values(info_dept_reached=sa.bindparam("reached")),
                     [{"rid": rid, "reached": value} for rid, value in reached.items()])


def downgrade():
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_requests_waiting_for'))
        batch_op.drop_column('waiting_since')
        batch_op.drop_column('waiting_for')
        batch_op.drop_column('info_dept_reached')

    with op.batch_alter_table('request_waiting_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_request_waiting_periods_request_ended')

    op.drop_table('request_waiting_periods')
