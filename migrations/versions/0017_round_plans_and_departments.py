"""round plans and departments

Planned rounds (a date per municipality and cycle), prefectural departments as a managed list,
and which departments a round record was shared with. The department names typed as free text
into existing round records become Department rows (no contact e-mail yet: an admin adds it) and
those records are linked to them; the free text itself stays where it was.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('link_nonce', sa.String(length=64), nullable=False),
    sa.Column('created_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('name', name=op.f('uq_departments_name'))
    )
    op.create_table('planned_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('cycle_start', sa.Date(), nullable=False),
    sa.Column('cycle_end', sa.Date(), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=False),
    sa.Column('planned_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_planned_rounds_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['planned_by_id'], ['users.id'], name=op.f('fk_planned_rounds_planned_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_rounds')),
    sa.UniqueConstraint('municipality_id', 'cycle_start', name=op.f('uq_planned_rounds_municipality_id'))
    )
    with op.batch_alter_table('planned_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_planned_rounds_planned_on'), ['planned_on'], unique=False)

    op.create_table('round_record_departments',
    sa.Column('round_record_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_round_record_departments_department_id_departments')),
    sa.ForeignKeyConstraint(['round_record_id'], ['round_records.id'], name=op.f('fk_round_record_departments_round_record_id_round_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_record_id', 'department_id', name=op.f('pk_round_record_departments'))
    )
    with op.batch_alter_table('round_record_departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_record_departments_department_id'), ['department_id'], unique=False)

    _link_free_text_departments()


def _link_free_text_departments():
    conn = op.get_bind()
    records = sa.table("round_records", sa.column("id", sa.Integer),
                       sa.column("shared_departments", sa.JSON))
    departments = sa.table("departments", sa.column("id", sa.Integer),
                           sa.column("name", sa.String), sa.column("active", sa.Boolean),
                           sa.column("link_nonce", sa.String),
                           sa.column("created_at", supportdesk.timeutil.UTCDateTime))
    links = sa.table("round_record_departments", sa.column("round_record_id", sa.Integer),
                     sa.column("department_id", sa.Integer))
    ids = {}
    pairs = []
    for rid, names in conn.execute(sa.select(records.c.id, records.c.shared_departments)):
        for name in dict.fromkeys((n or "").strip()[:100] for n in (names or [])):
            if not name:
                continue
            if name not in ids:
                conn.execute(sa.insert(departments).values(
                    name=name, active=True, link_nonce=secrets.token_hex(16),
                    created_at=supportdesk.timeutil.utcnow()))
                ids[name] = conn.scalar(sa.select(departments.c.id)
                                        .where(departments.c.name == name))
            pairs.append({"round_record_id": rid, "department_id": ids[name]})
    if pairs:
        conn.execute(sa.insert(links), pairs)


def downgrade():
    with op.batch_alter_table('round_record_departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_record_departments_department_id'))
    op.drop_table('round_record_departments')
    with op.batch_alter_table('planned_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_planned_rounds_planned_on'))
    op.drop_table('planned_rounds')
    op.drop_table('departments')
