"""Hash-chained, append-only tables: the registry CHAINS, the row hash, the seal, the triggers.

Every row of a chained table carries `prev_hash` (the row_hash of the row before it in the same
table, by id) and `row_hash`, a SHA-256 over the table's name, that previous hash and a canonical
JSON of the row's content. The seal is put on in the transaction that writes the rows: a
`before_insert` hook on every ChainedRow model seals each row as the flush inserts it, and
`seal_rows` does the same for bulk Core inserts. The append is serialised by the rows of
`chain_heads`: the first statements of an append UPDATE them, which takes their row locks on
PostgreSQL and the write lock on SQLite, held until the transaction ends, so two writers can
never chain onto the same head.

A table whose free text may be redacted one day (retention disposal) hashes those columns
through a stored `content_digest`: a redacted row (the columns set to NULL, `redacted_at` set)
still chains, and the triggers allow exactly that change and nothing else.

Adding a table: mix `ChainedRow` (and `RedactableRow`) into the model and add one ChainSpec to
CHAINS; its migration calls `create_triggers` (db.create_all does it through the metadata hook).
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainSpec:
    table: str
    fields: tuple            # hashed as they are; never change after the insert
    redactable: tuple = ()   # free text/JSON, hashed through content_digest; a redaction nulls them
    at: str = "at"           # the column that dates a row (verify names it at a break)

    @property
    def columns(self):
        """Every column of the table, which the triggers keep as they are."""
        extra = ("content_digest", "redacted_at") if self.redactable else ()
        return ("id", *self.fields, *self.redactable, "prev_hash", "row_hash", *extra)


CHAINS = {spec.table: spec for spec in (
    ChainSpec("audit_logs", ("at", "actor_id", "action", "target_type", "target_id", "ip",
                             "detail")),
    ChainSpec("request_events", ("request_id", "at", "actor_id", "kind", "action", "from_state",
                                 "to_state", "internal"), redactable=("data", "note")),
    # Survey answers: each submission or correction is a new version row, never changed.
    ChainSpec("survey_response_versions", ("response_id", "version", "submitted_by_id",
                                           "submitted_at", "late"), redactable=("answers",),
              at="submitted_at"),
)}


class ChainedRow:
    """The two columns of a hash-chained table (see the module docstring)."""

    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    row_hash: Mapped[str] = mapped_column(sa.String(64))


class RedactableRow(ChainedRow):
    content_digest: Mapped[str] = mapped_column(sa.String(64))
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChainHead(db.Model):
    """The last row of each chain: the lock row of the append, and what verify compares with."""

    __tablename__ = "chain_heads"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    length: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# -- the hash ----------------------------------------------------------------------------------

def _plain(value):
    """A value as the database gives it back: datetimes in UTC to the microsecond, JSON through
    a JSON round trip (integer keys become strings, tuples lists)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, (dict, list, tuple)):
        return json.loads(json.dumps(value))
    return value


def _dump(body):
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_digest(spec, values):
    """SHA-256 of the redactable columns (None for a table without any)."""
    if not spec.redactable:
        return None
    body = {name: _plain(values.get(name)) for name in spec.redactable}
    return hashlib.sha256(_dump(body).encode()).hexdigest()


def row_hash(spec, values, prev_hash, digest):
    body = {name: _plain(values.get(name)) for name in spec.fields}
    if spec.redactable:
        body["content_digest"] = digest
    material = f"{spec.table}\n{prev_hash}\n{_dump(body)}"
    return hashlib.sha256(material.encode()).hexdigest()


# -- the append --------------------------------------------------------------------------------

def lock_head(connection, table):
    """Take the append lock; returns the chain's (length, last_hash) as of now.

    The lock is every chain's head row, taken one by one in the same order by every writer (a
    writer of the audit log that later writes a request event, and one doing the reverse, would
    otherwise deadlock on PostgreSQL). Taking a row this transaction holds already costs
    nothing; on SQLite the first UPDATE takes the database's write lock."""
    heads = ChainHead.__table__
    for name in sorted(CHAINS):
        touch = sa.update(heads).where(heads.c.name == name).values(length=heads.c.length)
        if connection.execute(touch).rowcount == 0:
            insert = _dialect_insert(connection.dialect.name)
            connection.execute(insert(heads).values(name=name, length=0, last_hash=GENESIS)
                               .on_conflict_do_nothing(index_elements=["name"]))
            connection.execute(touch)
    row = connection.execute(sa.select(heads.c.length, heads.c.last_hash)
                             .where(heads.c.name == table)).one()
    return row.length, row.last_hash


def _dialect_insert(name):
    """INSERT ... ON CONFLICT of the connection's dialect, imported when first needed: the other
    dialect would cost every worker memory for nothing (tests/test_lazy_imports.py)."""
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _move_head(connection, table, length, last_hash):
    heads = ChainHead.__table__
    connection.execute(sa.update(heads).where(heads.c.name == table).values(
        length=length, last_hash=last_hash, updated_at=utcnow()))


def seal_rows(connection, table, rows):
    """Seal plain dicts about to be inserted with a Core INSERT, in this order (bulk loaders)."""
    spec = CHAINS[table]
    columns = db.metadata.tables[table].columns
    length, prev = lock_head(connection, table)
    for values in rows:
        for column in columns:
            if values.get(column.key) is None and column.default is not None:
                values[column.key] = _default(column)
        digest = content_digest(spec, values)
        values["prev_hash"] = prev
        values["row_hash"] = prev = row_hash(spec, values, prev, digest)
        if spec.redactable:
            values["content_digest"] = digest
    _move_head(connection, table, length + len(rows), prev)
    return rows


def _default(column):
    return column.default.arg(None) if column.default.is_callable else column.default.arg


def _apply_defaults(obj, table):
    # Column defaults fire at INSERT, after this hook: apply them now so the hash sees them.
    for column in table.columns:
        if getattr(obj, column.key, None) is None and column.default is not None:
            setattr(obj, column.key, _default(column))


HEADS = "supportdesk.chain_heads"  # session.info: {table: [length, last_hash]} of this flush


@event.listens_for(Session, "before_flush")
def _forget_heads(session, flush_context, instances):
    # A head read by an earlier flush may be stale (a savepoint rolled back since): read anew.
    session.info.pop(HEADS, None)


@event.listens_for(ChainedRow, "before_insert", propagate=True)
def _seal_row(mapper, connection, target):
    """Seal each new row as the flush inserts it, in insert order (foreign keys are set by now,
    column defaults not yet: they are applied here so the hash sees them)."""
    spec = CHAINS[mapper.local_table.name]
    heads = sa.orm.object_session(target).info.setdefault(HEADS, {})
    if spec.table not in heads:
        heads[spec.table] = list(lock_head(connection, spec.table))
    head = heads[spec.table]
    _apply_defaults(target, mapper.local_table)
    values = {c: getattr(target, c) for c in spec.fields + spec.redactable}
    digest = content_digest(spec, values)
    target.prev_hash = head[1]
    target.row_hash = head[1] = row_hash(spec, values, head[1], digest)
    head[0] += 1
    if spec.redactable:
        target.content_digest = digest


@event.listens_for(Session, "after_flush")
def _move_heads(session, flush_context):
    for table, (length, last_hash) in session.info.pop(HEADS, {}).items():
        _move_head(session.connection(), table, length, last_hash)


# -- the triggers ------------------------------------------------------------------------------

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION chain_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := to_jsonb(OLD);
    new_row jsonb := to_jsonb(NEW);
    col text;
BEGIN
    -- The one change allowed: a redaction (the listed columns to NULL, redacted_at set once).
    IF TG_OP = 'UPDATE' AND TG_NARGS > 0 THEN
        IF (old_row ->> 'redacted_at') IS NULL AND (new_row ->> 'redacted_at') IS NOT NULL THEN
            old_row := old_row - 'redacted_at';
            new_row := new_row - 'redacted_at';
            FOREACH col IN ARRAY TG_ARGV LOOP
                IF (new_row -> col) IS DISTINCT FROM 'null'::jsonb THEN
                    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME
                        || ' is append-only: a redaction sets ' || col || ' to NULL';
                END IF;
                old_row := old_row - col;
                new_row := new_row - col;
            END LOOP;
            IF old_row = new_row THEN
                RETURN NEW;
            END IF;
        END IF;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused';
END
$$
"""


def trigger_statements(dialect, spec):
    """The DDL that makes `spec.table` refuse UPDATE and DELETE (save a redaction)."""
    t = spec.table
    if dialect == "postgresql":
        args = ", ".join(f"'{c}'" for c in spec.redactable)
        return [PG_FUNCTION,
                f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                f"FOR EACH ROW EXECUTE FUNCTION chain_append_only({args})"]
    if dialect != "sqlite":
        raise NotImplementedError(f"no append-only triggers for {dialect}")
    refuse = f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END"
    update = f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} "
    if spec.redactable:
        kept = [c for c in spec.columns if c not in spec.redactable and c != "redacted_at"]
        redaction = " AND ".join(
            ["OLD.redacted_at IS NULL", "NEW.redacted_at IS NOT NULL"]
            + [f"NEW.{c} IS NULL" for c in spec.redactable]
            + [f"NEW.{c} IS OLD.{c}" for c in kept])
        update += f"WHEN NOT ({redaction}) "
    return [update + refuse, f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} " + refuse]


def drop_statements(dialect, spec):
    t = spec.table
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}"]
    return [f"DROP TRIGGER IF EXISTS {t}_no_update", f"DROP TRIGGER IF EXISTS {t}_no_delete"]


def create_triggers(connection, tables=None):
    """Create the triggers of the chained tables (all of CHAINS, or the names given)."""
    for name in tables or CHAINS:
        for statement in trigger_statements(connection.dialect.name, CHAINS[name]):
            connection.exec_driver_sql(statement)


@event.listens_for(db.metadata, "after_create")
def _triggers_after_create_all(target, connection, tables=(), **kw):
    created = {t.name for t in tables}
    names = [name for name in CHAINS if name in created]
    if names:  # an empty list would mean every chained table to create_triggers
        create_triggers(connection, names)
