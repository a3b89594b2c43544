"""The hash chains of the append-only tables: verify them, read their heads, redact request events.

The chain itself (registry, hash, seal at flush, triggers) is models/chain.py. Here: `verify_chains`
(the `flask audit verify` command and the nightly job `verify_chains_nightly`), `chain_heads`
(written daily to the log and into every backup manifest), and `redact_request_events` and
`redact_survey_answers`, the one change the triggers allow (for retention disposal).
"""
import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import RequestEvent, SurveyResponseVersion
from ..models.chain import CHAINS, GENESIS, ChainHead, content_digest, row_hash
from ..notifications import notify
from ..timeutil import utcnow
from .audit import record_audit

logger = logging.getLogger(__name__)


@dataclass
class Break:
    table: str
    row_id: int | None
    at: object
    reason: str

    def describe(self):
        when = self.at.isoformat() if self.at is not None else "-"
        return f"{self.table} id={self.row_id} at={when}: {self.reason}"


@dataclass
class ChainReport:
    table: str
    length: int = 0
    last_id: int | None = None
    last_hash: str = GENESIS
    redacted: int = 0
    breaks: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.breaks

    def head(self):
        return {"length": self.length, "last_id": self.last_id, "row_hash": self.last_hash}


def _walk(spec, report, anchor):
    table = db.metadata.tables[spec.table]
    result = db.session.execute(sa.select(table).order_by(table.c.id)
                                .execution_options(yield_per=1000))
    try:
        _walk_rows(spec, report, anchor, result.mappings())
    finally:
        result.close()  # a server-side cursor on PostgreSQL, left early at a break


def _walk_rows(spec, report, anchor, rows):
    prev = GENESIS
    for row in rows:
        report.length += 1
        reason = None
        digest = None
        if spec.redactable:
            redacted = row["redacted_at"] is not None and all(
                row[c] is None for c in spec.redactable)
            report.redacted += redacted
            digest = row["content_digest"] if redacted else content_digest(spec, row)
            if digest != row["content_digest"]:
                reason = "content differs from its digest"
        if reason is None and row["prev_hash"] != prev:
            reason = "prev_hash does not name the row before (a row removed or inserted)"
        if reason is None and row_hash(spec, row, prev, digest) != row["row_hash"]:
            reason = "row_hash does not match the row's content"
        if reason is None and anchor and row["id"] == anchor.get("last_id") \
                and row["row_hash"] != anchor.get("row_hash"):
            reason = "differs from the head recorded in the older manifest (chain rewritten)"
        if reason is not None:
            report.breaks.append(Break(spec.table, row["id"], row[spec.at], reason))
            return
        prev = row["row_hash"]
        report.last_id, report.last_hash = row["id"], prev
    if anchor and anchor.get("last_id") is not None and (
            report.last_id is None or report.last_id < anchor["last_id"]):
        report.breaks.append(Break(spec.table, anchor["last_id"], None,
                                   "the last row of the older manifest's head is gone"))


def verify_chains(*, heads=None, tables=None):
    """Walk every chain (or those of `tables`) from its first row; a report per table with the
    first row that does not match. `heads` ({table: {"last_id", "row_hash"}}, from an older
    backup manifest) must still be rows of today's chains: a rewrite of a whole chain shows
    there."""
    reports = []
    stored = {h.name: h for h in db.session.scalars(sa.select(ChainHead))}
    for name in tables or CHAINS:
        spec = CHAINS[name]
        report = ChainReport(name)
        _walk(spec, report, (heads or {}).get(name))
        head = stored.get(name)
        if report.ok and head is not None and (head.length, head.last_hash) != (
                report.length, report.last_hash):
            report.breaks.append(Break(name, report.last_id, head.updated_at,
                                       f"chain_heads says {head.length} rows ending "
                                       f"{head.last_hash[:12]}: rows at the end removed"))
        reports.append(report)
    return reports


def chain_heads(execute):
    """{table: {"length", "last_id", "row_hash"}} of every chain, read with `execute(sql)` (which
    returns rows): a SQLAlchemy connection's or a sqlite3 connection's, for the backup's copy."""
    heads = {}
    for name in CHAINS:
        length, last_id = execute(f'SELECT COUNT(*), MAX(id) FROM "{name}"')[0]
        last = execute(f'SELECT row_hash FROM "{name}" ORDER BY id DESC LIMIT 1')
        heads[name] = {"length": length, "last_id": last_id,
                       "row_hash": last[0][0] if last else GENESIS}
    return heads


def current_heads():
    return chain_heads(lambda sql: db.session.execute(sa.text(sql)).all())


def verify_chains_nightly(now=None):
    """Job: verify every chain, log each head, and alert the admins through the outbox when a
    chain is broken (once a day per break: the event key names the row and the day)."""
    now = now or utcnow()
    reports = verify_chains()
    result = {"items": 0}
    for report in reports:
        logger.info("chain head %s length=%s last_id=%s row_hash=%s", report.table,
                    report.length, report.last_id, report.last_hash)
        result[report.table] = f"{report.length} {report.last_id} {report.last_hash}"
        for brk in report.breaks:
            result["items"] += 1
            logger.error("chain broken: %s", brk.describe())
            notify("audit.chain_broken", now=now, table=brk.table, row_id=brk.row_id,
                   row_at=brk.at, reason=brk.reason, link="/admin/audit",
                   event_key=f"audit.chain_broken:{brk.table}:{brk.row_id}:{now.date()}")
    return result


def _redact(model, parent, ids, now):
    """Blank the redactable columns of `model`'s rows whose `parent` column is in `ids`."""
    table = model.__table__
    blank = {c: sa.null() for c in CHAINS[table.name].redactable}
    done = db.session.execute(sa.update(table).where(
        table.c[parent].in_(ids), table.c.redacted_at.is_(None)).values(
        **blank, redacted_at=now)).rowcount
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and getattr(obj, parent) in ids:
            db.session.expire(obj)
    return done


def redact_request_events(request_ids, *, actor, now=None):
    """Blank the free text (`data`, `note`) of the request events of these requests for good,
    and mark them redacted: the one change the triggers allow. The rows still chain (their hash
    covers a digest of the text, kept). Returns how many rows were redacted; audited."""
    now = now or utcnow()
    ids = sorted(set(request_ids))
    if not ids:
        return 0
    db.session.flush()
    done = _redact(RequestEvent, "request_id", ids, now)
    record_audit("request_events.redacted", actor=actor, now=now, request_ids=ids, rows=done)
    db.session.flush()
    logger.info("redacted %s request events of requests %s by %s", done, ids,
                getattr(actor, "id", None))
    return done


def redact_survey_answers(response_ids, *, actor, now=None):
    """Blank the answers of every submitted version of these survey responses for good (the
    version number, who submitted it, when and whether late stay, and still chain). The
    working copy (`survey_responses.answers`) is not chained: its owner clears it. Returns how
    many versions were redacted; audited."""
    now = now or utcnow()
    ids = sorted(set(response_ids))
    if not ids:
        return 0
    db.session.flush()
    done = _redact(SurveyResponseVersion, "response_id", ids, now)
    record_audit("survey_response_versions.redacted", actor=actor, now=now, response_ids=ids,
                 rows=done)
    db.session.flush()
    logger.info("redacted %s survey answer versions of responses %s by %s", done, ids,
                getattr(actor, "id", None))
    return done
