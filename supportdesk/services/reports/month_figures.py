"""The monthly report's figures for several months at once: each figure (or group of figures
over the same rows) is one query whose WHERE covers every month and whose conditional counts
(CASE over the month's bounds) give each month its value. The bounds are figures.month_period's
(JST months, UTC timestamps), so a figure is the same as one computed month by month; the
request figures are REQUEST_FIGURES' own clauses, so they still match their drill-down lists.
tests/test_report_months.py checks every figure against the month-by-month functions. The
outreach and knowing figures are in month_outreach.py."""
from datetime import timedelta

import sqlalchemy as sa

from ...extensions import db
from ...models import (Municipality, Region, RequestEvent, RequestWaitingPeriod, SupportRequest,
                      Theme, Visit)
from ...models.report import BusinessDay
from ...models.support_request import request_themes
from ...models.visit import visit_municipalities
from ...sqlutil import jst_date, nearest_rank, nearest_rank_condition
from ...timeutil import JST
from ...workflow import State
from .calendar import ensure_business_days
from ..regions import in_regions_at
from .figures import REQUEST_FIGURES, _open_at, request_criteria


def spans(periods):
    """The periods as disjoint [start, end) ranges, adjacent months merged into one."""
    ranges = []
    for p in sorted(periods, key=lambda p: p.start):
        if ranges and p.start <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], p.end)
        else:
            ranges.append([p.start, p.end])
    return [tuple(r) for r in ranges]


def within(col, periods):
    """`col` falls in one of the periods (the WHERE that covers every month of a query)."""
    return sa.or_(*[sa.and_(col >= s, col < e) for s, e in spans(periods)])


def _in(col, p):
    return sa.and_(col >= p.start, col < p.end)


def _count_if(*conds):
    return sa.func.count(sa.case((sa.and_(*conds), 1)))


def _request_counts(figures, periods):
    return [_count_if(*REQUEST_FIGURES[f](p)) for p in periods for f in figures]


def _by_period(row, figures, periods, offset=0):
    """{period key: {figure: n}} from a row of _request_counts' columns."""
    out = {}
    for i, p in enumerate(periods):
        for j, f in enumerate(figures):
            out.setdefault(p.key, {})[f] = row[offset + i * len(figures) + j] or 0
    return out


SUBMITTED = ("new", "outside_info_dept", "info_dept_reached", "info_dept_unreached")
EVENTS = ("closed", "declined", "withdrawn", "reopened")


def request_figures(periods, region_ids):
    """{key: {figure: n}} for every request figure, and the first period's breakdown of new
    requests: {"by_kind": {(kind, origin): n}, "by_region": [(id, name, n)],
    "by_municipality": [(id, name, n)]} (each list by count, then id)."""
    scope = [] if region_ids is None else [SupportRequest.region_id.in_(region_ids)]
    out = {p.key: {} for p in periods}
    # Requests submitted in the months, grouped for the breakdowns: one pass.
    keys = (SupportRequest.kind, SupportRequest.origin, SupportRequest.region_id, Region.name,
            SupportRequest.municipality_id, Municipality.name)
    rows = db.session.execute(
        sa.select(*keys, *_request_counts(SUBMITTED, periods))
        .select_from(SupportRequest)
        .outerjoin(Region, Region.id == SupportRequest.region_id)
        .outerjoin(Municipality, Municipality.id == SupportRequest.municipality_id)
        .where(within(SupportRequest.submitted_at, periods), *scope)
        .group_by(*keys)).all()
    by_kind, by_region, by_muni = {}, {}, {}
    for row in rows:
        for key, counts in _by_period(row, SUBMITTED, periods, offset=len(keys)).items():
            for f, n in counts.items():
                out[key][f] = out[key].get(f, 0) + n
        n = row[len(keys)]  # the first period's "new"
        if n:
            kind, origin, rid, rname, mid, mname = row[:len(keys)]
            by_kind[(kind, origin)] = by_kind.get((kind, origin), 0) + n
            if rid is not None and rname is not None:
                by_region[(rid, rname)] = by_region.get((rid, rname), 0) + n
            if mid is not None and mname is not None:
                by_muni[(mid, mname)] = by_muni.get((mid, mname), 0) + n
    for key in out:
        for f in SUBMITTED:
            out[key].setdefault(f, 0)
    # Closed, declined, withdrawn and reopened: requests with a state event in the months.
    evented = sa.select(RequestEvent.request_id).where(
        RequestEvent.kind == "state", within(RequestEvent.at, periods))
    row = db.session.execute(sa.select(*_request_counts(EVENTS, periods)).where(
        SupportRequest.id.in_(evented), *scope)).one()
    # Open at each month's end: the WHERE holds every request open at any of the ends.
    ends = [p.end for p in periods]
    backlog = db.session.execute(sa.select(
        *[_count_if(*_open_at(p.end)) for p in periods]).where(
        SupportRequest.submitted_at < max(ends),
        sa.or_(SupportRequest.closed_at.is_(None), SupportRequest.closed_at >= min(ends)),
        *scope)).one()
    past = db.session.execute(sa.select(*_request_counts(("past_target",), periods)).where(
        within(SupportRequest.first_response_due_at, periods), *scope)).one()
    for i, p in enumerate(periods):
        out[p.key].update(_by_period(row, EVENTS, periods)[p.key])
        out[p.key]["backlog"] = backlog[i] or 0
        out[p.key]["past_target"] = past[i] or 0

    def ranked(counts):
        return [(i, name, n) for (i, name), n in sorted(counts.items(),
                                                        key=lambda kv: (-kv[1], kv[0][0]))]
    return out, {"by_kind": by_kind, "by_region": ranked(by_region),
                 "by_municipality": ranked(by_muni)}


def new_by_theme(period, region_ids):
    """figures.new_by_theme with each theme's English name: [(id, name_ja, name_en, n)]."""
    n = sa.func.count(sa.distinct(SupportRequest.id))
    stmt = (sa.select(Theme.id, Theme.name_ja, Theme.name_en, n).select_from(SupportRequest)
            .join(request_themes, request_themes.c.request_id == SupportRequest.id)
            .join(Theme, Theme.id == request_themes.c.theme_id)
            .where(*request_criteria("new", period, region_ids=region_ids))
            .group_by(Theme.id, Theme.name_ja, Theme.name_en).order_by(n.desc(), Theme.id))
    return [tuple(row) for row in db.session.execute(stmt)]


def reasons(period, region_ids):
    """{"declined": [...], "withdrawn": [...]}: the period's declined and withdrawn requests
    with their reasons (figures.reasons, both lists in one query)."""
    declined = sa.and_(*REQUEST_FIGURES["declined"](period))
    withdrawn = sa.and_(*REQUEST_FIGURES["withdrawn"](period))
    stmt = (sa.select(SupportRequest.id, SupportRequest.number, SupportRequest.title,
                      SupportRequest.decline_reason, SupportRequest.withdraw_reason,
                      sa.case((declined, 1), else_=0), sa.case((withdrawn, 1), else_=0))
            # (an OR of the two IN clauses read every request on PostgreSQL: 185 ms at 100k)
            .where(SupportRequest.id.in_(sa.select(RequestEvent.request_id).where(
                RequestEvent.kind == "state",
                RequestEvent.to_state.in_((State.DECLINED.value, State.WITHDRAWN.value)),
                _in(RequestEvent.at, period))), sa.or_(declined, withdrawn))
            .order_by(SupportRequest.id))
    if region_ids is not None:
        stmt = stmt.where(SupportRequest.region_id.in_(region_ids))
    out = {"declined": [], "withdrawn": []}
    for i, number, title, dr, wr, is_d, is_w in db.session.execute(stmt):
        if is_d:
            out["declined"].append(dict(id=i, number=number, title=title, reason=dr))
        if is_w:
            out["withdrawn"].append(dict(id=i, number=number, title=title, reason=wr))
    return out


# --- responsiveness: both spans, every month, with their percentiles, in one query -----------

METRICS = ("first_response", "resolution")


def responsiveness(periods, region_ids):
    """{key: {"first_response": {n, median, p90}, "resolution": {...}}} (figures.responsiveness:
    business days less the waits, nearest-rank percentiles)."""
    empty = {"n": 0, "median": None, "p90": None}
    out = {p.key: {"first_response": dict(empty), "resolution": dict(empty)} for p in periods}
    first = db.session.scalar(sa.select(sa.func.min(SupportRequest.submitted_at)))
    if first is None:
        return out
    ensure_business_days(first.astimezone(JST).date() - timedelta(days=7),
                         (max(p.end for p in periods) + timedelta(days=7)).date())
    branches = []
    for metric, (start_col, end_col) in enumerate((
            (SupportRequest.submitted_at, SupportRequest.first_response_at),
            (SupportRequest.submitted_at, SupportRequest.resolved_at))):
        d1, d2 = sa.orm.aliased(BusinessDay), sa.orm.aliased(BusinessDay)
        waited = (sa.select(sa.func.coalesce(sa.func.sum(RequestWaitingPeriod.business_days), 0))
                  .where(RequestWaitingPeriod.request_id == SupportRequest.id,
                         RequestWaitingPeriod.started_at >= start_col,
                         RequestWaitingPeriod.ended_at <= end_col)
                  .correlate(SupportRequest).scalar_subquery())
        bucket = _bucket(end_col, periods)[0]
        stmt = (sa.select(sa.literal_column(str(metric)).label("metric"), bucket.label("bucket"),
                          (d2.ordinal - d1.ordinal - waited).label("days"))
                .select_from(SupportRequest)
                .join(d1, d1.day == jst_date(start_col))
                .join(d2, d2.day == jst_date(end_col))
                .where(within(end_col, periods)))
        if region_ids is not None:
            stmt = stmt.where(SupportRequest.region_id.in_(region_ids))
        branches.append(stmt)
    spans_ = sa.union_all(*branches).subquery()
    part = (spans_.c.metric, spans_.c.bucket)
    ranked = sa.select(
        spans_.c.metric, spans_.c.bucket, spans_.c.days,
        sa.func.row_number().over(partition_by=part, order_by=spans_.c.days).label("rn"),
        sa.func.count().over(partition_by=part).label("n")).where(
        spans_.c.days.is_not(None)).subquery()
    rows = db.session.execute(sa.select(ranked).where(sa.or_(
        nearest_rank_condition(ranked.c.rn, ranked.c.n, 0.5),
        nearest_rank_condition(ranked.c.rn, ranked.c.n, 0.9)))).all()
    for metric, bucket, days, rn, n in rows:
        fig = out[periods[bucket].key][METRICS[metric]]
        fig["n"] = n
        for name, fraction in (("median", 0.5), ("p90", 0.9)):
            if rn == nearest_rank(n, fraction):
                fig[name] = days
    return out


# --- helpers shared with month_outreach ------------------------------------------------------

def _held(periods, region_ids):
    conds = [Visit.state == "held", within(Visit.starts_at, periods)]
    if region_ids is not None:
        # In the region its municipality belonged to on the day (services/regions).
        on_day = sa.orm.aliased(Visit)
        conds.append(Visit.id.in_(
            sa.select(visit_municipalities.c.visit_id)
            .join(on_day, on_day.id == visit_municipalities.c.visit_id)
            .where(in_regions_at(visit_municipalities.c.municipality_id, on_day.starts_at,
                                 region_ids))))
    return conds


BUCKET = "month_bucket"


def _bucket(col, periods):
    """(column, group-by key): the index of the period `col` falls in. Grouped by its name, as
    PostgreSQL would not match the CASE with its own bound parameters rendered twice."""
    return (sa.case(*[(_in(col, p), i) for i, p in enumerate(periods)]).label(BUCKET),
            sa.literal_column(BUCKET))


# --- reach: distinct municipalities contacted, every period in one grouped query -------------

def reached(periods, region_ids, recent_before=None):
    """({key: figures.reached} for periods of any length (months, quarter, fiscal year), and
    when `recent_before` is given, figures.recent_contacts(recent_before) from the same query)."""
    from .figures import NO_CONTACT_DAYS, Period, _contacts

    window = []
    if recent_before is not None:
        window = [Period(recent_before - timedelta(days=NO_CONTACT_DAYS), recent_before, "")]
    contacts = _contacts(region_ids, spans=spans(list(periods) + window))
    cols = [sa.func.max(sa.case((_in(contacts.c.at, p), 1), else_=0)) for p in periods]
    cols += [sa.func.max(sa.case((_in(contacts.c.at, p), contacts.c.at))) for p in window]
    rows = db.session.execute(sa.select(contacts.c.mid, *cols).group_by(contacts.c.mid)).all()
    counts = {p.key: sum(1 for row in rows if row[i + 1]) for i, p in enumerate(periods)}
    if recent_before is None:
        return counts, None
    return counts, {row[0]: row[-1] for row in rows if row[-1] is not None}
