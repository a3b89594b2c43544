"""The report figures about knowing each municipality, and the lists behind them: DX status
values recorded in a period, and the surveys (照会) sent, the answers due (on time or not) and
the answers given with their time to answer. Each figure's count and its list come from the
same filter, so the drill-down always shows what was counted."""
from statistics import median

import sqlalchemy as sa

from ...extensions import db
from ...models import (Municipality, Region, StatusValue, Survey, SurveyResponse, SurveyTarget,
                       SystemMigration)
from ...timeutil import JST
from ..regions import member_ids_at_end
from ..surveys.figures import survey_figures


def _status_filter(model, period, region_ids):
    conds = [model.set_at >= period.start, model.set_at < period.end]
    if region_ids is not None:  # the region's municipalities at the period's end
        conds.append(model.municipality_id.in_(member_ids_at_end(region_ids, period.end)))
    return conds


def status_figures(period, region_ids=None):
    """{"status_updates": DX status values recorded in the period (any source), "status_
    municipalities": how many municipalities they concern, "standardisation_updates": states
    of the 20 systems recorded}."""
    # One statement: the monthly report's page counts its statements.
    values = sa.select(sa.func.count(StatusValue.id), sa.func.count(sa.distinct(
        StatusValue.municipality_id))).where(*_status_filter(StatusValue, period, region_ids))
    systems = sa.select(sa.func.count(SystemMigration.id)).where(
        *_status_filter(SystemMigration, period, region_ids)).scalar_subquery()
    updates, munis, systems = db.session.execute(values.add_columns(systems)).one()
    return {"status_updates": updates, "status_municipalities": munis,
            "standardisation_updates": systems}


def status_updates_behind(period, region_ids=None, limit=1000):
    """The DX status values and system states recorded in the period, newest first:
    {"values": [StatusValue], "systems": [SystemMigration]}."""
    values = db.session.scalars(sa.select(StatusValue).where(
        *_status_filter(StatusValue, period, region_ids)).order_by(
        StatusValue.set_at.desc(), StatusValue.id.desc()).limit(limit)).all()
    systems = db.session.scalars(sa.select(SystemMigration).where(
        *_status_filter(SystemMigration, period, region_ids)).order_by(
        SystemMigration.set_at.desc(), SystemMigration.id.desc()).limit(limit)).all()
    return {"values": values, "systems": systems}


def _pairs(region_ids):
    """Target (survey × municipality) rows with the answer, if any."""
    stmt = (sa.select(Survey, Municipality, SurveyResponse.first_submitted_at)
            .select_from(SurveyTarget)
            .join(Survey, Survey.id == SurveyTarget.survey_id)
            .join(Municipality, Municipality.id == SurveyTarget.municipality_id)
            .join(Region, Region.id == Municipality.region_id)
            .outerjoin(SurveyResponse, sa.and_(
                SurveyResponse.survey_id == SurveyTarget.survey_id,
                SurveyResponse.municipality_id == SurveyTarget.municipality_id)))
    if region_ids is not None:
        stmt = stmt.where(Municipality.region_id.in_(region_ids))
    return stmt


def _days(survey, first):
    return round((first - survey.opened_at).total_seconds() / 86400, 1) if first else None


def surveys_behind(period, region_ids=None):
    """The lists behind the survey figures of survey_figures (same filters):
    "sent": surveys opened in the period, each with its targets in scope, answers and on-time
    answers; "due": the pairs whose deadline fell in the period, with whether they were answered
    by the deadline; "answered": the first submissions made in the period, with the days taken."""
    start_day, end_day = period.start.astimezone(JST).date(), period.end.astimezone(JST).date()
    sent = {}
    for survey, m, first in db.session.execute(_pairs(region_ids).where(
            Survey.opened_at >= period.start, Survey.opened_at < period.end)
            .order_by(Survey.opened_at, Survey.id)):
        row = sent.setdefault(survey.id, {"survey": survey, "targets": 0, "answered": 0,
                                          "on_time": 0})
        row["targets"] += 1
        if first is not None:
            row["answered"] += 1
            row["on_time"] += first.astimezone(JST).date() <= survey.deadline
    due = [{"survey": s, "municipality": m, "first_submitted_at": first,
            "on_time": first is not None and first.astimezone(JST).date() <= s.deadline}
           for s, m, first in db.session.execute(_pairs(region_ids).where(
               Survey.deadline >= start_day, Survey.deadline < end_day)
               .order_by(Survey.deadline, Survey.id, Region.sort_order, Municipality.code))]
    answered = [{"survey": s, "municipality": m, "first_submitted_at": first,
                 "days": _days(s, first)}
                for s, m, first in db.session.execute(_pairs(region_ids).where(
                    SurveyResponse.first_submitted_at >= period.start,
                    SurveyResponse.first_submitted_at < period.end)
                    .order_by(SurveyResponse.first_submitted_at))]
    days = [a["days"] for a in answered]
    return {"sent": list(sent.values()), "due": due, "answered": answered,
            "figures": survey_figures(period, region_ids),
            "answer_days_median": round(median(days), 1) if days else None}
