"""Round plans (巡回予定): a planned date per municipality and cycle, the itinerary, the plans a
user may see in a date range (calendar, feed, municipality page) and the due plans (SQL)."""
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ... import calendar_jp, permissions
from ...extensions import db
from ...models import Municipality, PlannedRound
from ...timeutil import utcnow
from .. import ValidationFailed
from .rounds import (RoundPlan, _add_months, cycle_bounds, cycle_label, due_condition, is_due,
                     last_round_dates, local_date)

logger = logging.getLogger(__name__)


def plannable_cycles(region, now):
    """[(first day, last day, label)] of the cycles a round can be planned in: this one and the
    next (a liaison plans the coming cycle before it starts)."""
    months = region.round_cycle_months
    start, next_start = cycle_bounds(now, months)
    out = []
    for first in (start, next_start):
        last = _add_months(first, months) - timedelta(days=1)
        out.append((first, last, cycle_label(first, months)))
    return out


def plan_round(actor, municipality, *, planned_on, cycle_start=None, now=None):
    """Set (or move) the planned date of `municipality`'s round in the cycle starting on
    `cycle_start` (default: the cycle containing `planned_on`). The date must be a business day
    inside that cycle, not in the past."""
    now = now or utcnow()
    if not municipality.region.has_liaison:
        raise ValidationFailed(_("この市町は定期巡回の対象外です。"))
    permissions.require(actor, "plan", RoundPlan(municipality.region))
    cycles = {first: last for first, last, _label in plannable_cycles(municipality.region, now)}
    if cycle_start is None:
        cycle_start = cycle_bounds(planned_on, municipality.region.round_cycle_months)[0]
    if cycle_start not in cycles:
        raise ValidationFailed(_("今期か次期の周期を選んでください。"), field="cycle")
    cycle_end = cycles[cycle_start]
    if not cycle_start <= planned_on <= cycle_end:
        raise ValidationFailed(_("予定日は選んだ周期(%(start)s〜%(end)s)の中の日付にしてください。",
                                 start=cycle_start.isoformat(), end=cycle_end.isoformat()),
                               field="planned_on")
    if planned_on < local_date(now):
        raise ValidationFailed(_("予定日に過去の日付は指定できません。"), field="planned_on")
    if not calendar_jp.is_business_day(planned_on):
        raise ValidationFailed(_("予定日は開庁日(土日・祝日・年末年始以外)にしてください。"),
                               field="planned_on")
    plan = db.session.scalar(sa.select(PlannedRound).where(
        PlannedRound.municipality_id == municipality.id,
        PlannedRound.cycle_start == cycle_start))
    if plan is None:
        plan = PlannedRound(municipality_id=municipality.id, cycle_start=cycle_start)
        db.session.add(plan)
    plan.cycle_end, plan.planned_on = cycle_end, planned_on
    plan.planned_by_id, plan.updated_at = actor.id, now
    db.session.flush()
    logger.info("planned round %s: municipality %s on %s (cycle %s) by user %s", plan.id,
                municipality.id, planned_on, cycle_start, actor.id)
    return plan


def plan_for(municipality, cycle_start):
    return db.session.scalar(sa.select(PlannedRound).where(
        PlannedRound.municipality_id == municipality.id, PlannedRound.cycle_start == cycle_start))


def planned_between(user, start_day, end_day, *, region_id=None):
    """Planned rounds the user may see dated on [start_day, end_day), by date: staff only their
    own municipality's (permissions.scope_planned_rounds)."""
    stmt = (sa.select(PlannedRound).join(Municipality)
            .where(PlannedRound.planned_on >= start_day, PlannedRound.planned_on < end_day)
            .order_by(PlannedRound.planned_on, Municipality.code)
            .options(selectinload(PlannedRound.municipality)))
    if region_id:
        stmt = stmt.where(Municipality.region_id == region_id)
    return db.session.scalars(permissions.scope_planned_rounds(stmt, user)).all()


def itinerary(user, regions, now):
    """The user's itinerary: per region the current cycle's planned rounds, ordered by date,
    each with its due flag and the latest round date. [(region, label, [(plan, due, last)])]."""
    today = local_date(now)
    out = []
    for region in regions:
        start, next_start = cycle_bounds(now, region.round_cycle_months)
        rows = [p for p in planned_between(user, start, next_start, region_id=region.id)]
        last = last_round_dates([p.municipality_id for p in rows], now)
        out.append((region, cycle_label(start, region.round_cycle_months),
                    [(p, is_due(p, today, last.get(p.municipality_id)),
                      last.get(p.municipality_id)) for p in rows]))
    return out


def due_plans(now):
    """Every planned round that is due now (rounds.due_condition), by date."""
    return db.session.scalars(sa.select(PlannedRound).where(due_condition(now))
                              .order_by(PlannedRound.planned_on, PlannedRound.id)
                              .options(selectinload(PlannedRound.municipality))).all()
