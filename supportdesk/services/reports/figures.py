"""Monthly report figures, each one SQL aggregate over requests, events, visits and actions.

A request figure is defined once as a filter (REQUEST_FIGURES), so the same definition gives
the count in the report and the list of requests behind it (the drill-down).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from ...extensions import db
from ...i18n import N_
from ...models import (ExpertProfile, Municipality, Region, RequestEvent, RequestWaitingPeriod,
                      SupportAction, SupportRequest, Theme, Visit)
from ...models.meeting import Meeting, MeetingInvitation
from ...models.report import BusinessDay
from ...models.support_request import LECTURE_FORMATS, LECTURE_PROGRAMS, request_themes
from ...models.visit import visit_attendees, visit_municipalities
from ...sqlutil import jst_date, nearest_rank_percentile
from ...timeutil import JST, fiscal_year, fiscal_year_label
from ...workflow import FINAL_STATES, State
from ...workflows.meetings import MeetingStatus
from ..requests.filing import info_dept_conditions
from .calendar import ensure_business_days

NO_CONTACT_DAYS = 90


@dataclass(frozen=True)
class Period:
    start: datetime  # aware, inclusive
    end: datetime    # aware, exclusive
    key: str

    @property
    def label(self):
        return self.key


def month_period(year, month):
    start = datetime(year, month, 1, tzinfo=JST)
    nxt = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=JST)
    return Period(start, nxt, f"{year:04d}-{month:02d}")


def parse_month(text):
    """'2024-06' -> (2024, 6); raises ValueError for anything else."""
    year, month = text.split("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(text)
    year, month = int(year), int(month)
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValueError(text)
    return year, month


def previous_month(year, month):
    return (year - 1, 12) if month == 1 else (year, month - 1)


def fiscal_quarter_period(year, month):
    """The fiscal quarter containing the month: Apr-Jun, Jul-Sep, Oct-Dec or Jan-Mar.

    Fiscal quarters coincide with calendar quarters because the fiscal year starts in April."""
    first = (month - 1) // 3 * 3 + 1
    start = datetime(year, first, 1, tzinfo=JST)
    end = month_period(year, first + 2).end
    fy_quarter = {4: 1, 7: 2, 10: 3, 1: 4}[first]
    return Period(start, end, f"FY{fiscal_year(date(year, month, 1))}-Q{fy_quarter}")


def quarter_to_date(year, month):
    """From the start of the fiscal quarter to the end of the month (what a monthly report shows)."""
    quarter = fiscal_quarter_period(year, month)
    return Period(quarter.start, month_period(year, month).end, quarter.key)


def fiscal_year_to_period_end(year, month):
    fy = fiscal_year(date(year, month, 1))
    return Period(datetime(fy, 4, 1, tzinfo=JST), month_period(year, month).end, f"FY{fy}")


# --- request figures: one definition for count and drill-down -------------------------------

def _state_events(to_states, period):
    return (sa.select(RequestEvent.request_id)
            .where(RequestEvent.kind == "state", RequestEvent.to_state.in_(to_states),
                   RequestEvent.at >= period.start, RequestEvent.at < period.end))


def _open_at(moment):
    """Clauses: the request was open at `moment`.

    closed_at holds the latest closure (declined and withdrawn included) and is cleared on
    reopening, so a request closed before `moment` is not open. Only a request that was reopened
    can have been closed at `moment` although closed_at is later or empty; for those few the
    last state change before `moment` decides."""
    reopened = sa.select(RequestEvent.request_id).where(RequestEvent.action == "reopen")
    last = (sa.select(RequestEvent.request_id, sa.func.max(RequestEvent.id).label("last_id"))
            .where(RequestEvent.kind == "state", RequestEvent.at < moment,
                   RequestEvent.request_id.in_(reopened))
            .group_by(RequestEvent.request_id).subquery())
    closed_then = (sa.select(last.c.request_id)
                   .join(RequestEvent, RequestEvent.id == last.c.last_id)
                   .where(RequestEvent.to_state.in_([s.value for s in FINAL_STATES])))
    return [SupportRequest.submitted_at < moment,
            sa.or_(SupportRequest.closed_at.is_(None), SupportRequest.closed_at >= moment),
            SupportRequest.id.not_in(closed_then)]


def _submitted_in(period):
    return sa.and_(SupportRequest.submitted_at >= period.start, SupportRequest.submitted_at < period.end)


# Each figure by its name in the report (the monthly report's rows and the drill-down heading).
FIGURE_LABELS = {
    "new": N_("新規受付"), "closed": N_("完了"), "backlog": N_("月末時点の未完了"),
    "declined": N_("対応不可"), "withdrawn": N_("取下げ"), "reopened": N_("再開"),
    "past_target": N_("初回対応の目標超過"),
    "outside_info_dept": N_("情報部門以外からの依頼"),
    "info_dept_reached": N_("うち情報部門に共有が届いた"),
    "info_dept_unreached": N_("うち誰にも共有が届かなかった"),
}
REQUEST_FIGURES = {
    "new": lambda p: [_submitted_in(p)],
    "closed": lambda p: [SupportRequest.id.in_(_state_events([State.CLOSED.value], p))],
    "backlog": lambda p: _open_at(p.end),
    "declined": lambda p: [SupportRequest.id.in_(_state_events([State.DECLINED.value], p))],
    "withdrawn": lambda p: [SupportRequest.id.in_(_state_events([State.WITHDRAWN.value], p))],
    "reopened": lambda p: [SupportRequest.id.in_(
        sa.select(RequestEvent.request_id).where(
            RequestEvent.kind == "state", RequestEvent.action == "reopen",
            RequestEvent.at >= p.start, RequestEvent.at < p.end))],
    # Due this month and answered late, or not at all while still open at the deadline
    # (a request withdrawn before its deadline needed no response; a request the desk is
    # waiting on since before its deadline has its clock stopped: the target moves out when
    # the wait ends).
    "past_target": lambda p: [
        SupportRequest.first_response_due_at >= p.start, SupportRequest.first_response_due_at < p.end,
        sa.or_(SupportRequest.first_response_at > SupportRequest.first_response_due_at,
               sa.and_(SupportRequest.first_response_at.is_(None),
                       sa.or_(SupportRequest.closed_at.is_(None),
                              SupportRequest.closed_at > SupportRequest.first_response_due_at),
                       sa.or_(SupportRequest.waiting_since.is_(None),
                              SupportRequest.waiting_since > SupportRequest.first_response_due_at)))],
    # The 情報部門 rule, over the requests filed in the period.
    "outside_info_dept": lambda p: [_submitted_in(p), *info_dept_conditions("outside")],
    "info_dept_reached": lambda p: [_submitted_in(p), *info_dept_conditions("reached")],
    "info_dept_unreached": lambda p: [_submitted_in(p), *info_dept_conditions("unreached")],
}


def request_criteria(figure, period, *, kind=None, origin=None, theme_id=None, region_id=None,
                     municipality_id=None, region_ids=None):
    if figure not in REQUEST_FIGURES:
        raise KeyError(figure)
    clauses = list(REQUEST_FIGURES[figure](period))
    if kind:
        clauses.append(SupportRequest.kind == kind)
    if origin:
        clauses.append(SupportRequest.origin == origin)
    if theme_id:
        clauses.append(SupportRequest.id.in_(sa.select(request_themes.c.request_id)
                                             .where(request_themes.c.theme_id == theme_id)))
    if region_id:
        clauses.append(SupportRequest.region_id == region_id)
    if municipality_id:
        clauses.append(SupportRequest.municipality_id == municipality_id)
    if region_ids is not None:
        clauses.append(SupportRequest.region_id.in_(region_ids))
    return clauses


def count_requests(figure, period, **filters):
    stmt = sa.select(sa.func.count(SupportRequest.id)).where(*request_criteria(figure, period, **filters))
    return db.session.scalar(stmt) or 0


def requests_behind(figure, period, limit=500, **filters):
    stmt = (sa.select(SupportRequest).where(*request_criteria(figure, period, **filters))
            .order_by(SupportRequest.submitted_at, SupportRequest.id).limit(limit))
    return db.session.scalars(stmt).all()


def _grouped(figure, period, region_ids, key_col, label_col, joins=()):
    stmt = sa.select(key_col, label_col, sa.func.count(sa.distinct(SupportRequest.id)))
    stmt = stmt.select_from(SupportRequest)
    for target, onclause in joins:
        stmt = stmt.join(target, onclause)
    stmt = (stmt.where(*request_criteria(figure, period, region_ids=region_ids))
            .group_by(key_col, label_col).order_by(sa.func.count(sa.distinct(SupportRequest.id)).desc(),
                                                   key_col))
    return [(k, label, n) for k, label, n in db.session.execute(stmt)]


def new_by_kind(period, region_ids):
    stmt = (sa.select(SupportRequest.kind, SupportRequest.origin, sa.func.count())
            .where(*request_criteria("new", period, region_ids=region_ids))
            .group_by(SupportRequest.kind, SupportRequest.origin))
    return {(kind, origin): n for kind, origin, n in db.session.execute(stmt)}


def new_by_theme(period, region_ids):
    return _grouped("new", period, region_ids, Theme.id, Theme.name_ja,
                    [(request_themes, request_themes.c.request_id == SupportRequest.id),
                     (Theme, Theme.id == request_themes.c.theme_id)])


def theme_names_en():
    return dict(db.session.execute(sa.select(Theme.id, Theme.name_en)).all())


def new_by_region(period, region_ids):
    return _grouped("new", period, region_ids, Region.id, Region.name,
                    [(Region, Region.id == SupportRequest.region_id)])


def new_by_municipality(period, region_ids):
    return _grouped("new", period, region_ids, Municipality.id, Municipality.name,
                    [(Municipality, Municipality.id == SupportRequest.municipality_id)])


def reasons(figure, period, region_ids):
    column = SupportRequest.decline_reason if figure == "declined" else SupportRequest.withdraw_reason
    stmt = (sa.select(SupportRequest.id, SupportRequest.number, SupportRequest.title, column)
            .where(*request_criteria(figure, period, region_ids=region_ids))
            .order_by(SupportRequest.id))
    return [dict(id=i, number=n, title=t, reason=r) for i, n, t, r in db.session.execute(stmt)]


# --- responsiveness in business days ---------------------------------------------------------

def _business_day_spans(start_col, end_col, period, region_ids, municipality_id=None):
    """A subquery of (days, end_at): the business days each request took from `start_col` to
    `end_col`, for the requests whose `end_col` falls in the period."""
    first = db.session.scalar(sa.select(sa.func.min(SupportRequest.submitted_at)))
    if first is None:
        return None
    ensure_business_days(first.astimezone(JST).date() - timedelta(days=7),
                         (period.end + timedelta(days=7)).date())
    d1, d2 = sa.orm.aliased(BusinessDay), sa.orm.aliased(BusinessDay)
    # Waiting for the municipality or an expert stops the clock: the business days of the
    # waits that ended within the span are left out.
    waited = (sa.select(sa.func.coalesce(sa.func.sum(RequestWaitingPeriod.business_days), 0))
              .where(RequestWaitingPeriod.request_id == SupportRequest.id,
                     RequestWaitingPeriod.started_at >= start_col,
                     RequestWaitingPeriod.ended_at <= end_col)
              .correlate(SupportRequest).scalar_subquery())
    stmt = (sa.select((d2.ordinal - d1.ordinal - waited).label("days"), end_col.label("end_at"))
            .select_from(SupportRequest)
            .join(d1, d1.day == jst_date(start_col))
            .join(d2, d2.day == jst_date(end_col))
            .where(end_col >= period.start, end_col < period.end))
    if region_ids is not None:
        stmt = stmt.where(SupportRequest.region_id.in_(region_ids))
    if municipality_id is not None:
        stmt = stmt.where(SupportRequest.municipality_id == municipality_id)
    return stmt.subquery()


def responsiveness(period, region_ids):
    out = {}
    for key, start_col, end_col in (
        ("first_response", SupportRequest.submitted_at, SupportRequest.first_response_at),
        ("resolution", SupportRequest.submitted_at, SupportRequest.resolved_at),
    ):
        sub = _business_day_spans(start_col, end_col, period, region_ids)
        if sub is None:
            out[key] = {"n": 0, "median": None, "p90": None}
            continue
        n = db.session.scalar(sa.select(sa.func.count(sub.c.days)))
        out[key] = {"n": n,
                    "median": nearest_rank_percentile(db.session, sub, "days", 0.5, n=n),
                    "p90": nearest_rank_percentile(db.session, sub, "days", 0.9, n=n)}
    return out


# --- visits, lectures, support, experts --------------------------------------------------------

def _held_visits(period, region_ids, kind=None):
    stmt = sa.select(Visit.id).where(Visit.state == "held", Visit.starts_at >= period.start,
                                     Visit.starts_at < period.end)
    if kind:
        stmt = stmt.where(Visit.kind == kind)
    if region_ids is not None:
        stmt = stmt.where(Visit.id.in_(
            sa.select(visit_municipalities.c.visit_id)
            .join(Municipality, Municipality.id == visit_municipalities.c.municipality_id)
            .where(Municipality.region_id.in_(region_ids))))
    return stmt


def visits_by_kind(period, region_ids):
    stmt = (sa.select(Visit.kind, sa.func.count()).where(Visit.id.in_(_held_visits(period, region_ids)))
            .group_by(Visit.kind))
    return dict(db.session.execute(stmt).all())


def lectures(period, region_ids):
    held = _held_visits(period, region_ids, kind="lecture")
    program = sa.func.coalesce(SupportRequest.program, sa.literal_column("'other'"))
    by_program = dict(db.session.execute(
        sa.select(program, sa.func.count(Visit.id))
        .select_from(Visit).outerjoin(SupportRequest, SupportRequest.id == Visit.request_id)
        .where(Visit.id.in_(held)).group_by(program)).all())
    formats_text = sa.cast(SupportRequest.formats, sa.Text)
    counts = db.session.execute(
        sa.select(*[sa.func.count(sa.case((formats_text.like(f'%"{key}"%'), Visit.id)))
                    for key in LECTURE_FORMATS])
        .select_from(Visit).join(SupportRequest, SupportRequest.id == Visit.request_id)
        .where(Visit.id.in_(held))).one()
    by_format = dict(zip(LECTURE_FORMATS, counts))
    joint = (sa.select(visit_municipalities.c.visit_id)
             .where(visit_municipalities.c.visit_id.in_(held))
             .group_by(visit_municipalities.c.visit_id)
             .having(sa.func.count() > 1).subquery())
    return {
        "held": db.session.scalar(sa.select(sa.func.count()).select_from(held.subquery())),
        "by_program": {k: by_program.get(k, 0) for k in LECTURE_PROGRAMS},
        "by_format": by_format,
        "joint": db.session.scalar(sa.select(sa.func.count()).select_from(joint)),
    }


def support_given(period, region_ids):
    base = sa.select(SupportAction.kind, sa.func.count()).where(
        SupportAction.at >= period.start, SupportAction.at < period.end)
    bridge = sa.select(SupportAction.target_department, sa.func.count()).where(
        SupportAction.kind == "bridge", SupportAction.at >= period.start, SupportAction.at < period.end)
    if region_ids is not None:
        scoped = sa.select(SupportRequest.id).where(SupportRequest.region_id.in_(region_ids))
        base = base.where(SupportAction.request_id.in_(scoped))
        bridge = bridge.where(SupportAction.request_id.in_(scoped))
    return {
        "by_kind": dict(db.session.execute(base.group_by(SupportAction.kind)).all()),
        "bridges": db.session.execute(bridge.group_by(SupportAction.target_department)
                                      .order_by(sa.func.count().desc())).all(),
    }


def expert_dispatches(period, region_ids):
    held = _held_visits(period, region_ids)
    stmt = (sa.select(ExpertProfile.kind, sa.func.count())
            .select_from(visit_attendees)
            .join(ExpertProfile, ExpertProfile.user_id == visit_attendees.c.user_id)
            .where(visit_attendees.c.visit_id.in_(held))
            .group_by(ExpertProfile.kind))
    return dict(db.session.execute(stmt).all())


# --- reach --------------------------------------------------------------------------------

def _contacts(region_ids, since=None, until=None, mids=None):
    """(municipality_id, at) for every contact: request events, held visits and the meetings a
    municipality attended.

    The time and municipality filters go inside each branch of the UNION so that both
    databases use the indexes on event and visit times instead of scanning all history."""
    from ...models.support_request import request_co_municipalities

    def bounded(stmt, mid_col, at_col):
        if since is not None:
            stmt = stmt.where(at_col >= since)
        if until is not None:
            stmt = stmt.where(at_col < until)
        if mids is not None:
            stmt = stmt.where(mid_col.in_(mids))
        if region_ids is not None:
            stmt = stmt.where(mid_col.in_(sa.select(Municipality.id)
                                          .where(Municipality.region_id.in_(region_ids))))
        return stmt

    own = bounded(sa.select(SupportRequest.municipality_id.label("mid"), RequestEvent.at.label("at"))
                  .join(RequestEvent, RequestEvent.request_id == SupportRequest.id)
                  .where(SupportRequest.state != State.DRAFT.value),
                  SupportRequest.municipality_id, RequestEvent.at)
    co = bounded(sa.select(request_co_municipalities.c.municipality_id.label("mid"),
                           RequestEvent.at.label("at"))
                 .join(RequestEvent, RequestEvent.request_id == request_co_municipalities.c.request_id),
                 request_co_municipalities.c.municipality_id, RequestEvent.at)
    visits = bounded(sa.select(visit_municipalities.c.municipality_id.label("mid"),
                               Visit.starts_at.label("at"))
                     .join(Visit, Visit.id == visit_municipalities.c.visit_id)
                     .where(Visit.state == "held"),
                     visit_municipalities.c.municipality_id, Visit.starts_at)
    # A meeting (連絡会, CIOフォーラム ...) is a contact with each municipality that attended it.
    meetings = bounded(sa.select(MeetingInvitation.municipality_id.label("mid"),
                                 Meeting.starts_at.label("at"))
                       .join(Meeting, Meeting.id == MeetingInvitation.meeting_id)
                       .where(Meeting.status == MeetingStatus.HELD.value,
                              MeetingInvitation.attended.is_(True),
                              MeetingInvitation.municipality_id.is_not(None)),
                       MeetingInvitation.municipality_id, Meeting.starts_at)
    return sa.union_all(own, co, visits, meetings).subquery()


def reached(period, region_ids):
    contacts = _contacts(region_ids, since=period.start, until=period.end)
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(contacts.c.mid)))) or 0


def municipalities_in_scope(region_ids):
    stmt = sa.select(sa.func.count(Municipality.id))
    if region_ids is not None:
        stmt = stmt.where(Municipality.region_id.in_(region_ids))
    return db.session.scalar(stmt)


def no_contact(moment, region_ids, days=NO_CONTACT_DAYS):
    """Municipalities with no contact in the `days` before `moment`, with their last contact."""
    window = _contacts(region_ids, since=moment - timedelta(days=days), until=moment)
    # DISTINCT: the contacted municipalities (at most one row each) always fit in a hash; the
    # contacts themselves (255k at national size) did not, and PostgreSQL then walked the
    # whole list once per municipality (14-19 s of a 22 s report, bench/national_bench.py).
    stmt = (sa.select(Municipality)
            .where(Municipality.id.not_in(sa.select(window.c.mid).distinct()))
            .order_by(Municipality.code))
    if region_ids is not None:
        stmt = stmt.where(Municipality.region_id.in_(region_ids))
    quiet = db.session.scalars(stmt).all()
    if not quiet:
        return []
    # Only the quiet municipalities' older history is read for their last contact.
    older = _contacts(region_ids, until=moment, mids=[m.id for m in quiet])
    last = dict(db.session.execute(sa.select(older.c.mid, sa.func.max(older.c.at))
                                   .group_by(older.c.mid)).all())
    return [(m, last.get(m.id)) for m in quiet]


def fy_label(year, month):
    fy = fiscal_year(date(year, month, 1))
    return f"{fiscal_year_label(fy)} ({fy}年度)"


def period_bounds_text(period):
    return (period.start.date().isoformat(), (period.end - timedelta(days=1)).date().isoformat())


