"""The monthly report's survey figures: surveys sent, the answer rate and the time to answer,
for all municipalities or those of some regions (SQL aggregates, no loop over answers)."""
from statistics import median

import sqlalchemy as sa

from ...extensions import db
from ...models import Survey, SurveyResponse, SurveyTarget
from ...timeutil import JST


def _in_regions(stmt, region_ids, end):
    # Lecture surveys have no targets; the join to SurveyTarget already leaves them out. A
    # region's municipalities are those it had at the period's end (services/regions).
    if region_ids is None:
        return stmt
    from ..regions import member_ids_at_end

    return stmt.where(SurveyTarget.municipality_id.in_(member_ids_at_end(region_ids, end)))


def survey_figures(period, region_ids=None):
    """{"surveys_sent": surveys opened in the period (reaching the regions), "answers_due":
    municipality-survey pairs whose deadline fell in the period, "answer_rate": the share of
    those submitted by their deadline (%), "answer_days_median": days from opening to the first
    submission, over the first submissions made in the period}."""
    sent = db.session.scalar(_in_regions(
        sa.select(sa.func.count(sa.distinct(Survey.id))).join(SurveyTarget).where(
            Survey.opened_at >= period.start, Survey.opened_at < period.end), region_ids, period.end))
    start_day, end_day = period.start.astimezone(JST).date(), period.end.astimezone(JST).date()
    due = _in_regions(sa.select(Survey.deadline, SurveyResponse.first_submitted_at).select_from(
        SurveyTarget).join(Survey, Survey.id == SurveyTarget.survey_id).outerjoin(
        SurveyResponse, sa.and_(SurveyResponse.survey_id == SurveyTarget.survey_id,
                                SurveyResponse.municipality_id == SurveyTarget.municipality_id))
        .where(Survey.deadline >= start_day, Survey.deadline < end_day), region_ids, period.end)
    rows = db.session.execute(due).all()
    on_time = sum(1 for deadline, first in rows
                  if first is not None and first.astimezone(JST).date() <= deadline)
    answered = _in_regions(sa.select(Survey.opened_at, SurveyResponse.first_submitted_at)
                           .select_from(SurveyTarget)
                           .join(Survey, Survey.id == SurveyTarget.survey_id)
                           .join(SurveyResponse, sa.and_(
                               SurveyResponse.survey_id == SurveyTarget.survey_id,
                               SurveyResponse.municipality_id == SurveyTarget.municipality_id))
                           .where(SurveyResponse.first_submitted_at >= period.start,
                                  SurveyResponse.first_submitted_at < period.end), region_ids,
                           period.end)
    days = [(first - opened).total_seconds() / 86400
            for opened, first in db.session.execute(answered)]
    return {"surveys_sent": sent, "answers_due": len(rows),
            "answer_rate": round(100 * on_time / len(rows), 1) if rows else None,
            "answer_days_median": round(median(days), 1) if days else None}
