"""The record kinds under retention: their default class and disposition (the one table the
seed writes from), and how each kind finds its closed records.

A kind's `closed` function returns the records closed before `before` (UTC-aware; None means
all of them) as Closed rows: the id, the register's name (no personal data: numbers, kinds,
municipalities, the prefecture's own survey titles), the municipality and the closure.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ...extensions import db
from ...i18n import N_
from ...models import (
    AuditLog,
    Meeting,
    Municipality,
    RetentionPolicy,
    RoundRecord,
    SupportRequest,
    Survey,
    Visit,
    VisitRecord,
)
from ...models.retention import Disposition, RecordKind, RetentionClass
from ...models.support_request import KIND_LABELS
from ...models.visit import VISIT_KINDS, visit_municipalities
from ...timeutil import JST, fiscal_year, fiscal_year_label, utcnow
from ...workflow import State

CLOSED_STATES = (State.CLOSED.value, State.WITHDRAWN.value, State.DECLINED.value)


@dataclass(frozen=True)
class Closed:
    record_id: int
    name: str
    municipality_id: int | None
    closed: object  # an aware datetime, or a date (the audit log's fiscal year end)


@dataclass(frozen=True)
class KindSpec:
    kind: RecordKind
    label: str
    default_class: RetentionClass
    default_disposition: Disposition
    closed: Callable  # closed(before, now, ids=None) -> list[Closed]
    # Only these dispositions may be chosen (the audit log cannot be destroyed: see disposal.py).
    dispositions: tuple = (Disposition.TRANSFER, Disposition.DESTROY)


def _before(stmt, column, before, id_col=None, ids=None):
    if ids is not None:
        stmt = stmt.where(id_col.in_(ids))
    return stmt if before is None else stmt.where(column < before)


def _requests(before, now, ids=None):
    stmt = (sa.select(SupportRequest.id, SupportRequest.number, SupportRequest.kind,
                      SupportRequest.municipality_id, Municipality.name,
                      SupportRequest.closed_at)
            .join(Municipality, Municipality.id == SupportRequest.municipality_id)
            .where(SupportRequest.state.in_(CLOSED_STATES), SupportRequest.closed_at.is_not(None))
            .order_by(SupportRequest.closed_at, SupportRequest.id))
    return [Closed(i, f"{number or i} {KIND_LABELS[kind]}({muni})", mid, at)
            for i, number, kind, mid, muni, at in
            db.session.execute(_before(stmt, SupportRequest.closed_at, before,
                                               SupportRequest.id, ids))]


def _first_municipality():
    return (sa.select(sa.func.min(visit_municipalities.c.municipality_id))
            .where(visit_municipalities.c.visit_id == Visit.id).correlate(Visit)
            .scalar_subquery())


def _visit_records(before, now, ids=None):
    mid = _first_municipality().label("mid")
    inner = (sa.select(VisitRecord.id, Visit.kind, Visit.ends_at, mid)
             .join(Visit, Visit.id == VisitRecord.visit_id)
             .where(Visit.state == "held", Visit.ends_at < now))
    inner = _before(inner, Visit.ends_at, before, VisitRecord.id, ids).subquery()
    stmt = (sa.select(inner, Municipality.name).outerjoin(Municipality, Municipality.id == inner.c.mid)
            .order_by(inner.c.ends_at, inner.c.id))
    return [Closed(r.id, f"{VISIT_KINDS[r.kind]} 実施記録 No.{r.id}({r.name or '-'})", r.mid,
                   r.ends_at) for r in db.session.execute(stmt)]


def _round_records(before, now, ids=None):
    stmt = (sa.select(RoundRecord.id, RoundRecord.municipality_id, Municipality.name,
                      RoundRecord.recorded_at)
            .join(Municipality, Municipality.id == RoundRecord.municipality_id)
            .order_by(RoundRecord.recorded_at, RoundRecord.id))
    return [Closed(i, f"定期巡回の記録 No.{i}({muni})", mid, at)
            for i, mid, muni, at in db.session.execute(_before(stmt, RoundRecord.recorded_at,
                                                               before, RoundRecord.id, ids))]


def _surveys(before, now, ids=None):
    stmt = (sa.select(Survey.id, Survey.title, Survey.closed_at)
            .where(Survey.status == "closed", Survey.closed_at.is_not(None))
            .order_by(Survey.closed_at, Survey.id))
    return [Closed(i, f"調査・照会「{title}」"[:200], None, at)
            for i, title, at in db.session.execute(_before(stmt, Survey.closed_at, before,
                                                                  Survey.id, ids))]


def _meeting_minutes(before, now, ids=None):
    """Held meetings whose minutes were published, closed on the day of publication."""
    stmt = (sa.select(Meeting.id, Meeting.title, Meeting.minutes_published_at)
            .where(Meeting.status == "held", Meeting.minutes_published_at.is_not(None))
            .order_by(Meeting.minutes_published_at, Meeting.id))
    return [Closed(i, f"会議録「{title}」"[:200], None, at)
            for i, title, at in db.session.execute(_before(stmt, Meeting.minutes_published_at,
                                                                  before, Meeting.id, ids))]


def _audit_log(before, now, ids=None):
    """One record per fiscal year of the audit log, closed on its last day once it is over."""
    first = db.session.scalar(sa.select(sa.func.min(AuditLog.at)))
    if first is None:
        return []
    last_fy = fiscal_year(now) - 1
    if before is not None:
        last_fy = min(last_fy, fiscal_year(before.astimezone(JST).date()) - 1)
    return [Closed(fy, f"監査ログ {fiscal_year_label(fy)}({fy}年度)", None, date(fy + 1, 3, 31))
            for fy in range(fiscal_year(first), last_fy + 1) if ids is None or fy in ids]


KINDS = {spec.kind: spec for spec in (
    KindSpec(RecordKind.REQUEST, N_("依頼(相談・出前講座・伴走支援)と対応記録・添付ファイル"),
             RetentionClass.Y5, Disposition.DESTROY, _requests),
    KindSpec(RecordKind.VISIT_RECORD, N_("訪問の実施記録"), RetentionClass.Y5,
             Disposition.DESTROY, _visit_records),
    KindSpec(RecordKind.ROUND_RECORD, N_("定期巡回の記録"), RetentionClass.Y5,
             Disposition.DESTROY, _round_records),
    KindSpec(RecordKind.SURVEY, N_("調査・照会と各市町の回答"), RetentionClass.Y10,
             Disposition.TRANSFER, _surveys),
    KindSpec(RecordKind.MEETING_MINUTES, N_("会議録"), RetentionClass.Y10,
             Disposition.TRANSFER, _meeting_minutes),
    KindSpec(RecordKind.AUDIT_LOG, N_("監査ログ(年度ごと)"), RetentionClass.Y10,
             Disposition.TRANSFER, _audit_log, dispositions=(Disposition.TRANSFER,)),
)}


def seed_policies():
    """Write the default policy of every kind that has none (the seed; idempotent)."""
    have = set(db.session.scalars(sa.select(RetentionPolicy.kind)))
    for spec in KINDS.values():
        if spec.kind.value not in have:
            db.session.add(RetentionPolicy(kind=spec.kind.value,
                                           retention_class=spec.default_class.value,
                                           disposition=spec.default_disposition.value))
    db.session.flush()


def policies():
    """{kind: (retention_class, disposition)} for every kind: the stored policy, else the default."""
    stored = {p.kind: p for p in db.session.scalars(sa.select(RetentionPolicy))}
    out = {}
    for kind, spec in KINDS.items():
        p = stored.get(kind.value)
        out[kind] = ((RetentionClass(p.retention_class), Disposition(p.disposition)) if p
                     else (spec.default_class, spec.default_disposition))
    return out


def closed_records(kind, before=None, now=None, ids=None):
    return KINDS[RecordKind(kind)].closed(before, now or utcnow(), ids)
