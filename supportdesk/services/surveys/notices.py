"""The scheduled survey notices: a reminder N business days before the deadline to the
municipalities that have not answered, and the list of overdue municipalities to the liaisons."""
import logging

import sqlalchemy as sa

from ... import permissions
from ...calendar_jp import business_days_before
from ...extensions import db
from ...models import Municipality, Region, Survey, SurveyResponse, SurveyTarget, User
from ...notifications import notify
from ...timeutil import utcnow
from ...workflows.surveys import SurveyStatus
from ..job_markers import claim_notice
from .answering import today_in_tokyo

logger = logging.getLogger(__name__)
# The markers of the notices sent (job_markers.claim_notice); the events are named at notify().
REMINDER, OVERDUE = "survey.reminder", "survey.overdue"


def reminder_day(survey):
    return business_days_before(survey.deadline, survey.reminder_days)


def unanswered_municipalities(survey):
    """The survey's municipalities without a submitted answer, by code."""
    submitted = sa.select(SurveyResponse.municipality_id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.status == "submitted")
    return db.session.scalars(sa.select(Municipality).join(
        SurveyTarget, SurveyTarget.municipality_id == Municipality.id).where(
        SurveyTarget.survey_id == survey.id, Municipality.id.not_in(submitted))
        .order_by(Municipality.code)).all()


def _open_surveys():
    return db.session.scalars(sa.select(Survey).where(
        Survey.status == SurveyStatus.OPEN.value, Survey.kind == "inquiry")
        .order_by(Survey.id)).all()


def send_survey_reminders(now=None):
    """From the reminder day up to the deadline, remind each municipality that has not submitted,
    once per survey (its respondents and its room; office hours apply). Returns how many."""
    now = now or utcnow()
    today = today_in_tokyo(now)
    sent = 0
    for survey in _open_surveys():
        if survey.reminder_days == 0 or not reminder_day(survey) <= today <= survey.deadline:
            continue
        for m in unanswered_municipalities(survey):
            if not claim_notice(REMINDER, f"survey:{survey.id}:m{m.id}", now=now,
                                municipality_id=m.id):
                continue
            notify("survey.reminder", municipality=m,
                   recipients=permissions.survey_respondents(survey, m.id), now=now,
                   link=f"/surveys/{survey.id}", survey=survey, urgent=False,
                   event_key=f"survey:{survey.id}:reminder:m{m.id}")
            sent += 1
    db.session.flush()
    if sent:
        logger.info("survey reminders: %d municipalities", sent)
    return sent


def overdue_liaisons(survey, municipalities):
    """{liaison: [municipality]}: each overdue municipality goes to its region's team
    (permissions.team_for), and the survey's author hears them all if a liaison."""
    out = {}
    regions = {}
    for m in municipalities:
        region = regions.setdefault(m.region_id, db.session.get(Region, m.region_id))
        for user in permissions.team_for(region):
            out.setdefault(user, []).append(m)
    author = db.session.get(User, survey.created_by_id)
    if author is not None and author.active and author.role in ("liaison", "manager"):
        out[author] = list(municipalities)
    return out


def report_overdue_surveys(now=None):
    """The day after the deadline of an open survey, tell the liaisons which of their
    municipalities have not answered (once per survey). Returns how many liaisons were told."""
    now = now or utcnow()
    today = today_in_tokyo(now)
    told = 0
    for survey in _open_surveys():
        if today <= survey.deadline:
            continue
        late = unanswered_municipalities(survey)
        if not late or not claim_notice(OVERDUE, f"survey:{survey.id}", now=now):
            continue
        for user, munis in sorted(overdue_liaisons(survey, late).items(), key=lambda x: x[0].id):
            notify("survey.overdue", recipients=[user], now=now, link=f"/surveys/{survey.id}",
                   survey=survey, overdue=[m.name for m in munis], urgent=False,
                   event_key=f"survey:{survey.id}:overdue:u{user.id}")
            told += 1
    db.session.flush()
    return told


def send_survey_notices(now=None):
    """Scheduler job: the reminders and the overdue lists. Safe to run twice (markers)."""
    now = now or utcnow()
    reminders = send_survey_reminders(now=now)
    overdue = report_overdue_surveys(now=now)
    return {"reminders": reminders, "overdue": overdue, "items": reminders + overdue}
