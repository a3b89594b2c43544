"""Periodic rounds (定期巡回): cycles, each municipality's round status, coverage, round records.

Definitions (all dates are Tokyo dates):
- A region's cycle lasts `Region.round_cycle_months` months (a divisor of 12). Cycles are aligned
  to the fiscal year, which starts on April 1: with 3 months they are Apr-Jun, Jul-Sep, Oct-Dec
  and Jan-Mar; with 6 months Apr-Sep and Oct-Mar.
- A round counts when a Visit of kind "round" in state "held" with that municipality started on
  or before `now`; its Tokyo date is the round date.
- A liaison plans the round of each municipality in a cycle: a PlannedRound with a date.
- due (is_due, and due_condition in SQL): the planned date has passed and no round was held in
  the plan's cycle. The one definition for the pages, the API and the notice job.
- status, first that applies: visited (a round inside the current cycle; next due: the last day
  of the next cycle); overdue (no round in the current cycle nor the previous one; a
  municipality never visited is overdue; overdue since the first day of the current cycle);
  due; planned (a date ahead); unplanned. An overdue municipality can be due as well
  (RoundStatus.due), and is counted in both.
Regions without liaisons (served by the central team, e.g. a 政令市) have no round plan.
"""
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...i18n import N_
from ...models import (Municipality, PlannedRound, Region, RoundRecord,
                       SupportRequest, Visit)
from ...models.visit import visit_municipalities
from ...sqlutil import jst_date
from ...notifications import notify
from ...timeutil import JST, fiscal_year, to_jst, utcnow
from ...workflows.visits import INITIAL_STATE, VisitAction, transition_for
from .. import ValidationFailed
from .lifecycle import mark_round_held, takes_round_record
from .round_departments import share_findings

logger = logging.getLogger(__name__)

CYCLE_MONTHS = (1, 2, 3, 4, 6, 12)
VISITED, DUE, OVERDUE = "visited", "due", "overdue"
PLANNED, UNPLANNED = "planned", "unplanned"
STATUS_LABELS = {VISITED: N_("今期巡回済"), DUE: N_("予定日超過・未巡回"), OVERDUE: N_("期限超過"),
                 PLANNED: N_("巡回予定あり"), UNPLANNED: N_("未計画")}


@dataclass(frozen=True)
class RoundPlan:
    """A region's round plan, the object that round permissions are checked against."""

    region: Region
    permission_kind = "round"

    def scope_region_ids(self):
        return {self.region.id}

    def scope_municipality_ids(self):
        return {m.id for m in self.region.municipalities}


@dataclass
class RoundStatus:
    municipality: Municipality
    status: str
    last_round_on: date | None
    cycle_start: date
    cycle_end: date           # last day of the current cycle
    next_due_on: date
    overdue_since: date | None
    plan: PlannedRound | None = None   # this cycle's planned round, if any
    due: bool = False                  # is_due(plan, today, last_round_on)

    @property
    def label(self):
        return _(STATUS_LABELS[self.status])


def _add_months(day, months):
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def local_date(now):
    return to_jst(now).date() if isinstance(now, datetime) else now


def cycle_bounds(day, months):
    """(first day, first day of the next cycle) of the cycle containing the Tokyo date `day`."""
    if months not in CYCLE_MONTHS:
        raise ValueError(f"round cycle of {months} months does not divide the fiscal year")
    day = local_date(day)
    since_april = (day.month - 4) % 12
    start = _add_months(date(fiscal_year(day), 4, 1), since_april - since_april % months)
    return start, _add_months(start, months)


def cycle_label(start, months):
    end = _add_months(start, months) - timedelta(days=1)
    return f"{start:%Y/%m}–{end:%Y/%m}"


def plan_regions():
    """Regions that have a round plan (those with liaisons), in display order."""
    return db.session.scalars(sa.select(Region).where(Region.has_liaison.is_(True))
                              .order_by(Region.sort_order, Region.id)).all()


def last_round_dates(municipality_ids, now):
    """{municipality id: Tokyo date of its latest held round on or before now}: one query."""
    if not municipality_ids:
        return {}
    rows = db.session.execute(
        sa.select(visit_municipalities.c.municipality_id, sa.func.max(Visit.starts_at))
        .join(Visit, Visit.id == visit_municipalities.c.visit_id)
        .where(Visit.kind == "round", Visit.state == "held", Visit.starts_at <= now,
               visit_municipalities.c.municipality_id.in_(municipality_ids))
        .group_by(visit_municipalities.c.municipality_id)).all()
    out = {}
    for mid, started in rows:
        # max() keeps the column type, but be safe if a driver hands back a naive UTC value.
        if started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        out[mid] = to_jst(started).date()
    return out


def is_due(plan, today, last_round_on):
    """The one definition of "due": the planned date has passed (today is after it) and no
    round was held in the plan's cycle. `last_round_on` is the municipality's latest round date
    up to now (last_round_dates); due_condition below is the same rule in SQL."""
    if plan is None or not plan.planned_on < today:
        return False
    return not (last_round_on is not None
                and plan.cycle_start <= last_round_on <= plan.cycle_end)


def due_condition(now):
    """is_due as an SQL condition over PlannedRound, for queries (the notice job)."""
    today = local_date(now)
    held_on = jst_date(Visit.starts_at)  # 'YYYY-MM-DD', compared with the ISO text of dates
    held = (sa.select(visit_municipalities.c.municipality_id)
            .join(Visit, Visit.id == visit_municipalities.c.visit_id)
            .where(Visit.kind == "round", Visit.state == "held", Visit.starts_at <= now,
                   visit_municipalities.c.municipality_id == PlannedRound.municipality_id,
                   held_on >= sa.cast(PlannedRound.cycle_start, sa.String),
                   held_on <= sa.cast(PlannedRound.cycle_end, sa.String)))
    return sa.and_(PlannedRound.planned_on < today, ~held.exists())


def cycle_plans(municipality_ids, cycle_start):
    """{municipality id: PlannedRound} of the cycle starting on cycle_start: one query."""
    if not municipality_ids:
        return {}
    return {p.municipality_id: p for p in db.session.scalars(sa.select(PlannedRound).where(
        PlannedRound.municipality_id.in_(municipality_ids),
        PlannedRound.cycle_start == cycle_start))}


def status_of(municipality, last_on, months, now, plan=None):
    today = local_date(now)
    start, next_start = cycle_bounds(today, months)
    prev_start = _add_months(start, -months)
    end = next_start - timedelta(days=1)
    due = is_due(plan, today, last_on)
    if last_on is not None and last_on >= start:
        return RoundStatus(municipality, VISITED, last_on, start, end,
                           _add_months(next_start, months) - timedelta(days=1), None, plan, due)
    if last_on is None or last_on < prev_start:
        return RoundStatus(municipality, OVERDUE, last_on, start, end, end, start, plan, due)
    status = DUE if due else PLANNED if plan is not None else UNPLANNED
    return RoundStatus(municipality, status, last_on, start, end, end, None, plan, due)


def region_statuses(region, now):
    """RoundStatus for every municipality of a region, in code order."""
    munis = list(region.municipalities)
    ids = [m.id for m in munis]
    last = last_round_dates(ids, now)
    months = region.round_cycle_months
    plans = cycle_plans(ids, cycle_bounds(now, months)[0])
    return [status_of(m, last.get(m.id), months, now, plans.get(m.id)) for m in munis]


def municipality_status(municipality, now):
    """The RoundStatus of one municipality (its page)."""
    months = municipality.region.round_cycle_months
    last = last_round_dates([municipality.id], now).get(municipality.id)
    plan = cycle_plans([municipality.id], cycle_bounds(now, months)[0]).get(municipality.id)
    return status_of(municipality, last, months, now, plan)


def coverage(regions, now):
    """Per region: visited / due / overdue counts and the total, for the coverage page."""
    out = []
    for region in regions:
        statuses = region_statuses(region, now)
        counts = {VISITED: 0, DUE: 0, OVERDUE: 0, PLANNED: 0, UNPLANNED: 0}
        for s in statuses:
            counts[s.status] += 1
        counts[DUE] = sum(s.due for s in statuses)  # overdue ones whose plan passed included
        start, next_start = cycle_bounds(now, region.round_cycle_months)
        out.append({"region": region, "total": len(statuses), **counts,
                    "cycle_start": start, "cycle_end": next_start - timedelta(days=1),
                    "cycle_label": cycle_label(start, region.round_cycle_months)})
    return out


def visible_plan_regions(user):
    return [r for r in plan_regions() if permissions.can(user, "view", RoundPlan(r))]


def update_round_cycle(actor, region, months):
    permissions.require(actor, "edit_plan", RoundPlan(region))
    if months not in CYCLE_MONTHS:
        raise ValidationFailed(_("巡回の周期は年度を割り切れる月数(1, 2, 3, 4, 6, 12)から選んでください。"),
                               field="months")
    before = region.round_cycle_months
    region.round_cycle_months = months
    logger.info("region %s round cycle %s -> %s months by user %s", region.id, before, months,
                actor.id)
    db.session.flush()
    return region


def round_record_of(visit):
    return db.session.scalar(sa.select(RoundRecord).where(RoundRecord.visit_id == visit.id))


def recordable_municipalities(visit, user, now):
    """The visit's municipalities `user` may write its round record for now: none once the
    visit has its record, before it starts, or when it was cancelled or postponed."""
    if (not takes_round_record(visit) or visit.state not in ("confirmed", "held")
            or visit.starts_at > now or round_record_of(visit) is not None):
        return []
    return [m for m in visit.municipalities if m.region.has_liaison
            and permissions.can(user, "record", RoundPlan(m.region))]


def _check_scheduled_round(visit, municipality):
    if visit.kind != "round":
        raise ValidationFailed(_("定期巡回の訪問ではありません。"))
    if municipality not in visit.municipalities:
        raise ValidationFailed(_("この市町はこの訪問の訪問先ではありません。"))
    if transition_for(visit.state, VisitAction.RECORD_ROUND) is None:
        raise ValidationFailed(_("中止・延期した訪問には巡回記録を書けません。"))
    if round_record_of(visit) is not None:
        raise ValidationFailed(_("この訪問の巡回記録は既に登録されています。"))


def record_round(actor, municipality, *, held_on, start_time, end_time, progress, issues,
                 departments=(), visit=None, now=None):
    """Record a round that took place: a held Visit of kind round and its RoundRecord; its
    findings are shared with `departments` (Department rows: each gets a notice).

    With `visit`, the round was scheduled as that visit: it is marked held at the times given
    and the record attaches to it, instead of a second visit being created."""
    now = now or utcnow()
    if not municipality.region.has_liaison:
        raise ValidationFailed(_("この市町は定期巡回の対象外です。"))
    permissions.require(actor, "record", RoundPlan(municipality.region))
    if visit is not None:
        _check_scheduled_round(visit, municipality)
    starts_at = datetime.combine(held_on, start_time, tzinfo=JST)
    ends_at = datetime.combine(held_on, end_time, tzinfo=JST)
    if starts_at > now:
        raise ValidationFailed(_("実施日時に未来の日時は指定できません。"), field="held_on")
    if ends_at <= starts_at:
        raise ValidationFailed(_("終了時刻は開始時刻より後にしてください。"), field="end_time")
    if not (progress or "").strip() and not (issues or "").strip():
        raise ValidationFailed(_("取組状況か課題のどちらかを入力してください。"), field="progress")
    if visit is None:
        visit = Visit(kind="round", state=INITIAL_STATE.value,
                      title=_("定期巡回 %(name)s", name=municipality.name),
                      starts_at=starts_at, ends_at=ends_at, liaison_id=actor.id,
                      created_by_id=actor.id, created_at=now, updated_at=now)
        visit.municipalities = [municipality]
        visit.attendees = [actor]
        db.session.add(visit)
        db.session.flush()
    elif actor not in visit.attendees:
        visit.attendees.append(actor)
    mark_round_held(visit, actor, starts_at=starts_at, ends_at=ends_at, now=now)
    db.session.flush()
    record = RoundRecord(visit_id=visit.id, municipality_id=municipality.id,
                         progress=(progress or "").strip(), issues=(issues or "").strip(),
                         shared_departments=[],
                         recorded_by_id=actor.id, recorded_at=now)
    db.session.add(record)
    db.session.flush()
    share_findings(actor, record, departments, now=now)
    notify("round.recorded", visit=visit, actor=actor, now=now, round_record_id=record.id,
           visit_id=visit.id, municipality_code=municipality.code)
    logger.info("round record %s (visit %s) for municipality %s by user %s", record.id, visit.id,
                municipality.id, actor.id)
    return record


def default_proposal_title(record):
    first = next((line.strip() for line in record.issues.splitlines() if line.strip()), "")
    return (_("プッシュ型出前講座: %(issue)s", issue=first) if first
            else _("プッシュ型出前講座: %(name)s", name=record.municipality.name))[:200]


def propose_push_lecture(actor, record, *, title=None, submit=False, now=None):
    """Turn a round's issue into a push-type lecture proposal (プッシュ型出前講座), linked back."""
    from ..requests.filing import refresh_search_text, submit_request
    from ..requests.transitions import record_event

    now = now or utcnow()
    permissions.require(actor, "propose", record)
    if record.proposed_request_id is not None:
        raise ValidationFailed(_("この巡回記録からは既に出前講座を提案しています。"))
    title = (title or "").strip() or default_proposal_title(record)
    if len(title) > 200:
        raise ValidationFailed(_("件名は200文字以内で入力してください。"), field="title")
    m = record.municipality
    body = _("定期巡回(%(day)s)で把握した課題:\n%(issues)s",
             day=to_jst(record.visit.starts_at).strftime("%Y-%m-%d"), issues=record.issues)
    sreq = SupportRequest(kind="lecture", origin="push", state="draft", municipality_id=m.id,
                          region_id=m.region_id, filer_id=actor.id, created_by_id=actor.id,
                          title=title, body=body, created_at=now, updated_at=now)
    refresh_search_text(sreq)
    db.session.add(sreq)
    db.session.flush()
    record.proposed_request_id = sreq.id
    record_event(sreq, actor, "created", data={"origin": "push", "round_record_id": record.id},
                 now=now)
    if submit:
        submit_request(sreq, actor, now=now)  # numbered and routed like any filing
    db.session.flush()
    logger.info("push lecture %s proposed from round record %s by user %s", sreq.id, record.id,
                actor.id)
    return sreq


def records_for_municipality(municipality, limit=20):
    return db.session.scalars(
        sa.select(RoundRecord).join(Visit, Visit.id == RoundRecord.visit_id)
        .where(RoundRecord.municipality_id == municipality.id)
        .order_by(Visit.starts_at.desc()).limit(limit)).all()


def records_for_region(region, limit=30):
    return db.session.scalars(
        sa.select(RoundRecord).join(Visit, Visit.id == RoundRecord.visit_id)
        .join(Municipality, Municipality.id == RoundRecord.municipality_id)
        .where(Municipality.region_id == region.id)
        .order_by(Visit.starts_at.desc()).limit(limit)).all()


def default_times():
    return time(10, 0), time(11, 0)
