"""append-only, hash-chained survey answers

The submitted versions of survey answers (survey_response_versions, one row per submission or
correction) join the audit log and the request events as a third hash chain: prev_hash,
row_hash, the digest of the answers and redacted_at. Existing versions are chained in id order
and get their head in chain_heads; then the columns become NOT NULL (answers NULL-able, for a
redaction) and triggers refuse UPDATE and DELETE on both databases, save the redaction of the
answers.

Revision ID: 0031
Revises: 0028
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil
from supportdesk.models.chain import (GENESIS, ChainSpec, content_digest, drop_statements,
                                      row_hash, trigger_statements)


revision = '0031'
down_revision = '0028'
branch_labels = None
depends_on = None

UTC_DT = supportdesk.timeutil.UTCDateTime(timezone=True)
NAME = "survey_response_versions"
# The chain as it stands at this revision (models/chain.py CHAINS may change later).
SPEC = ChainSpec(NAME, ("response_id", "version", "submitted_by_id", "submitted_at", "late"),
                 redactable=("answers",), at="submitted_at")
TABLE = sa.table(
    NAME, sa.column("id", sa.Integer), sa.column("response_id", sa.Integer),
    sa.column("version", sa.Integer), sa.column("answers", sa.JSON),
    sa.column("submitted_by_id", sa.Integer), sa.column("submitted_at", UTC_DT),
    sa.column("late", sa.Boolean), sa.column("prev_hash", sa.String),
    sa.column("row_hash", sa.String), sa.column("content_digest", sa.String),
    sa.column("redacted_at", UTC_DT))
HEADS = sa.table("chain_heads", sa.column("name", sa.String), sa.column("length", sa.Integer),
                 sa.column("last_hash", sa.String), sa.column("updated_at", UTC_DT))


def _backfill(conn):
    prev, length, batch = GENESIS, 0, []
    update = sa.update(TABLE).where(TABLE.c.id == sa.bindparam("_id")).values(
        prev_hash=sa.bindparam("_prev"), row_hash=sa.bindparam("_hash"),
        content_digest=sa.bindparam("_digest"))
    for row in conn.execute(sa.select(TABLE).order_by(TABLE.c.id)).mappings().all():
        digest = content_digest(SPEC, row)
        new = row_hash(SPEC, row, prev, digest)
        batch.append({"_id": row["id"], "_prev": prev, "_hash": new, "_digest": digest})
        prev, length = new, length + 1
        if len(batch) >= 1000:
            conn.execute(update, batch)
            batch = []
    if batch:
        conn.execute(update, batch)
    conn.execute(sa.delete(HEADS).where(HEADS.c.name == NAME))  # a writer may have made one
    conn.execute(sa.insert(HEADS).values(name=NAME, length=length, last_hash=prev,
                                         updated_at=supportdesk.timeutil.utcnow()))


def upgrade():
    with op.batch_alter_table(NAME, schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('content_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('redacted_at', UTC_DT, nullable=True))
    conn = op.get_bind()
    _backfill(conn)
    with op.batch_alter_table(NAME, schema=None) as batch_op:
        for column in ("prev_hash", "row_hash", "content_digest"):
            batch_op.alter_column(column, existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('answers', existing_type=sa.JSON(), nullable=True)
    # After the batch operations: on SQLite they rebuild the table, and triggers with it.
    for statement in trigger_statements(conn.dialect.name, SPEC):
        conn.exec_driver_sql(statement)


def downgrade():
    conn = op.get_bind()
    for statement in drop_statements(conn.dialect.name, SPEC):
        conn.exec_driver_sql(statement)
    conn.execute(sa.update(TABLE).where(TABLE.c.answers.is_(None)).values(answers={}))
    conn.execute(sa.delete(HEADS).where(HEADS.c.name == NAME))
    with op.batch_alter_table(NAME, schema=None) as batch_op:
        batch_op.alter_column('answers', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('redacted_at')
        batch_op.drop_column('content_digest')
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
