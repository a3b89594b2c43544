"""append-only, hash-chained audit log and request events

The audit log and the request events get prev_hash/row_hash (request events also the digest of
their free text and redacted_at), chain_heads holds each chain's head and append lock. Existing
rows are chained in id order, then the columns become NOT NULL and triggers refuse UPDATE and
DELETE on both tables (save the redaction of a request event's data and note).

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil
from supportdesk.models.chain import (GENESIS, ChainSpec, content_digest, drop_statements,
                                      row_hash, trigger_statements)


revision = '0021'
down_revision = '0019'
branch_labels = None
depends_on = None

UTC_DT = supportdesk.timeutil.UTCDateTime(timezone=True)

# The chains as they stand at this revision (models/chain.py CHAINS may grow later).
CHAINS = {
    "audit_logs": ChainSpec("audit_logs", ("at", "actor_id", "action", "target_type",
                                           "target_id", "ip", "detail")),
    "request_events": ChainSpec("request_events", ("request_id", "at", "actor_id", "kind",
                                                   "action", "from_state", "to_state",
                                                   "internal"), redactable=("data", "note")),
}
# The chained tables as they stand at this revision (not as the models may look later).
TABLES = {
    "audit_logs": sa.table(
        "audit_logs", sa.column("id", sa.Integer), sa.column("at", UTC_DT),
        sa.column("actor_id", sa.Integer), sa.column("action", sa.String),
        sa.column("target_type", sa.String), sa.column("target_id", sa.String),
        sa.column("ip", sa.String), sa.column("detail", sa.JSON),
        sa.column("prev_hash", sa.String), sa.column("row_hash", sa.String)),
    "request_events": sa.table(
        "request_events", sa.column("id", sa.Integer), sa.column("request_id", sa.Integer),
        sa.column("at", UTC_DT), sa.column("actor_id", sa.Integer), sa.column("kind", sa.String),
        sa.column("action", sa.String), sa.column("from_state", sa.String),
        sa.column("to_state", sa.String), sa.column("internal", sa.Boolean),
        sa.column("data", sa.JSON), sa.column("note", sa.Text),
        sa.column("prev_hash", sa.String), sa.column("row_hash", sa.String),
        sa.column("content_digest", sa.String)),
}
HEADS = sa.table("chain_heads", sa.column("name", sa.String), sa.column("length", sa.Integer),
                 sa.column("last_hash", sa.String), sa.column("updated_at", UTC_DT))


def _backfill(conn, name):
    spec, table = CHAINS[name], TABLES[name]
    prev, length, batch = GENESIS, 0, []
    update = sa.update(table).where(table.c.id == sa.bindparam("_id")).values(
        prev_hash=sa.bindparam("_prev"), row_hash=sa.bindparam("_hash"),
        **({"content_digest": sa.bindparam("_digest")} if spec.redactable else {}))
    for row in conn.execute(sa.select(table).order_by(table.c.id)).mappings().all():
        digest = content_digest(spec, row)
        new = row_hash(spec, row, prev, digest)
        batch.append({"_id": row["id"], "_prev": prev, "_hash": new, "_digest": digest})
        prev, length = new, length + 1
        if len(batch) >= 1000:
            conn.execute(update, batch)
            batch = []
    if batch:
        conn.execute(update, batch)
    conn.execute(sa.insert(HEADS).values(name=name, length=length, last_hash=prev,
                                         updated_at=supportdesk.timeutil.utcnow()))


def upgrade():
    op.create_table('chain_heads',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_chain_heads'))
    )
    with op.batch_alter_table('audit_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('content_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('redacted_at',
                                      supportdesk.timeutil.UTCDateTime(timezone=True),
                                      nullable=True))
    conn = op.get_bind()
    for name in TABLES:
        _backfill(conn, name)
    for name, columns in (("audit_logs", ("prev_hash", "row_hash")),
                          ("request_events", ("prev_hash", "row_hash", "content_digest"))):
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.String(length=64), nullable=False)
    # After the batch operations: on SQLite they rebuild the tables, and triggers with them.
    for name in TABLES:
        for statement in trigger_statements(conn.dialect.name, CHAINS[name]):
            conn.exec_driver_sql(statement)


def downgrade():
    conn = op.get_bind()
    for name in TABLES:
        for statement in drop_statements(conn.dialect.name, CHAINS[name]):
            conn.exec_driver_sql(statement)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS chain_append_only()")
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_column('redacted_at')
        batch_op.drop_column('content_digest')
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
    with op.batch_alter_table('audit_logs', schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
    op.drop_table('chain_heads')
