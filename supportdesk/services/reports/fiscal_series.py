"""A fiscal year month by month, for the charts of the fiscal-year report and the municipality
sheet: response times (median per month), reach over the year (cumulative), lecture
satisfaction, lectures of one municipality, and the DX status steps at the year's start and end.

Each series is one query over the whole year, bucketed into its twelve months (Tokyo time) here,
April first: no query per month.
"""
import math
from datetime import date, timedelta

import sqlalchemy as sa

from ...extensions import db
from ...models import Municipality, SupportRequest, Visit
from ...models.visit import SatisfactionResponse, visit_municipalities
from ...timeutil import to_jst
from ..municipalities.status import active_items, today_of, values_as_of
from . import figures as r
from .monthly import build_fiscal_summary
from .municipality_year import FISCAL_MONTHS, fiscal_year_period


def month_index(at):
    """0 for April ... 11 for March of the fiscal year `at` (a UTC time) falls in (Tokyo)."""
    return FISCAL_MONTHS.index(to_jst(at).month)


def median(values):
    """The nearest-rank median, as the monthly report computes it (sqlutil)."""
    if not values:
        return None
    return sorted(values)[max(1, math.ceil(0.5 * len(values))) - 1]


def response_medians_by_month(fy, region_ids=None, municipality_id=None):
    """[{"first_response": median business days, "resolution": ...} per month]: the requests
    first answered (resolved) in each month, as the monthly report's 対応の速さ counts them."""
    period = fiscal_year_period(fy)
    out = [{"first_response": None, "resolution": None} for _m in FISCAL_MONTHS]
    for key, end_col in (("first_response", SupportRequest.first_response_at),
                         ("resolution", SupportRequest.resolved_at)):
        sub = r._business_day_spans(SupportRequest.submitted_at, end_col, period, region_ids,
                                    municipality_id)
        if sub is None:
            continue
        by_month = [[] for _m in FISCAL_MONTHS]
        for days, end_at in db.session.execute(sa.select(sub.c.days, sub.c.end_at)):
            if days is not None:
                by_month[month_index(end_at)].append(days)
        for i, values in enumerate(by_month):
            out[i][key] = median(values)
    return out


def cumulative_reach_by_month(fy, region_ids=None):
    """How many municipalities had had a contact since 1 April by the end of each month."""
    period = fiscal_year_period(fy)
    contacts = r._contacts(region_ids, since=period.start, until=period.end)
    firsts = db.session.execute(sa.select(contacts.c.mid, sa.func.min(contacts.c.at))
                                .group_by(contacts.c.mid)).all()
    new = [0] * len(FISCAL_MONTHS)
    for _mid, at in firsts:
        new[month_index(at)] += 1
    running, out = 0, []
    for n in new:
        running += n
        out.append(running)
    return out


def _lectures(period, region_ids, municipality_id):
    held = r._held_visits(period, region_ids, kind="lecture")
    if municipality_id is not None:
        held = held.where(Visit.id.in_(sa.select(visit_municipalities.c.visit_id).where(
            visit_municipalities.c.municipality_id == municipality_id)))
    return held


def satisfaction_by_month(fy, region_ids=None, municipality_id=None):
    """[{"responses", "average"} per month] of the ratings of the lectures held in that month."""
    held = _lectures(fiscal_year_period(fy), region_ids, municipality_id)
    sums = [[0, 0] for _m in FISCAL_MONTHS]
    rows = db.session.execute(
        sa.select(Visit.starts_at, sa.func.count(SatisfactionResponse.id),
                  sa.func.sum(SatisfactionResponse.rating))
        .join(SatisfactionResponse, SatisfactionResponse.visit_id == Visit.id)
        .where(Visit.id.in_(held)).group_by(Visit.id, Visit.starts_at))
    for starts_at, n, total in rows:
        cell = sums[month_index(starts_at)]
        cell[0], cell[1] = cell[0] + n, cell[1] + total
    return [{"responses": n, "average": round(total / n, 2) if n else None} for n, total in sums]


def lectures_by_month(fy, municipality_id):
    """Lectures held with the municipality (alone or jointly) in each month."""
    held = _lectures(fiscal_year_period(fy), None, municipality_id)
    counts = [0] * len(FISCAL_MONTHS)
    for starts_at in db.session.scalars(sa.select(Visit.starts_at).where(Visit.id.in_(held))):
        counts[month_index(starts_at)] += 1
    return counts


def step_items():
    """The tracker's step items a chart can show (the profile bands are not steps of DX)."""
    return [i for i in active_items() if i.item_type == "step" and i.item_group != "profile"]


def _year_ends(fy, now):
    return date(fy, 4, 1) - timedelta(days=1), min(date(fy + 1, 3, 31), today_of(now))


def dx_steps(fy, region_ids=None, *, now):
    """Per step item: how many municipalities (of the scope) were at each step on 31 March
    before the year and at its end (today, for the current year). [] without the tracker's
    items."""
    items = step_items()
    if not items:
        return []
    stmt = sa.select(Municipality.id)
    if region_ids is not None:
        stmt = stmt.where(Municipality.region_id.in_(region_ids))
    mids = db.session.scalars(stmt).all()
    before, end = _year_ends(fy, now)
    ids = [i.id for i in items]
    start_values, end_values = values_as_of(before, mids, ids), values_as_of(end, mids, ids)
    out = []
    for item in items:
        steps = item.steps or []

        def at(values, k, item=item):
            return sum(1 for m in mids if (v := values.get((m, item.id))) is not None
                       and int(v.value_number) == k)

        out.append({"item": item, "steps": steps, "total": len(mids), "end_day": end,
                    "start": [at(start_values, k) for k in range(len(steps))],
                    "end": [at(end_values, k) for k in range(len(steps))]})
    return out


def municipality_steps(municipality, fy, *, now):
    """[{"item", "steps", "start", "end"}]: the municipality's step (1 = the first) on 31 March
    before the year and at its end (None: not recorded)."""
    items = step_items()
    before, end = _year_ends(fy, now)
    ids = [i.id for i in items]
    start_values = values_as_of(before, [municipality.id], ids)
    end_values = values_as_of(end, [municipality.id], ids)

    def step(values, item):
        v = values.get((municipality.id, item.id))
        return int(v.value_number) + 1 if v is not None else None

    return [{"item": item, "steps": item.steps or [], "start": step(start_values, item),
             "end": step(end_values, item)} for item in items]


def build_fiscal_report(fy, region_ids=None, *, now):
    """The fiscal-year report: the month-by-month summary (monthly.build_fiscal_summary) with
    the series of the charts, each beside the year before where the chart compares."""
    summary = build_fiscal_summary(fy, region_ids)
    response, satisfaction = response_medians_by_month(fy, region_ids), satisfaction_by_month(
        fy, region_ids)
    prev_satisfaction = satisfaction_by_month(fy - 1, region_ids)
    reach, prev_reach = cumulative_reach_by_month(fy, region_ids), cumulative_reach_by_month(
        fy - 1, region_ids)
    for i, month in enumerate(summary["months"]):
        month.update(first_response=response[i]["first_response"],
                     resolution=response[i]["resolution"], reach_to_date=reach[i],
                     satisfaction=satisfaction[i]["average"],
                     satisfaction_responses=satisfaction[i]["responses"])
        month["prev"].update(reach_to_date=prev_reach[i],
                             satisfaction=prev_satisfaction[i]["average"])
    return dict(summary, dx_steps=dx_steps(fy, region_ids, now=now))


def municipality_year_series(municipality, fy, *, now):
    """The municipality sheet's series beyond its requests per month."""
    return {"response": response_medians_by_month(fy, municipality_id=municipality.id),
            "lectures": lectures_by_month(fy, municipality.id),
            "prev_lectures": lectures_by_month(fy - 1, municipality.id),
            "satisfaction": satisfaction_by_month(fy, municipality_id=municipality.id),
            "steps": municipality_steps(municipality, fy, now=now)}
