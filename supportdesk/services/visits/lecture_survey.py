"""A held lecture's satisfaction survey on the survey engine: the desk's 5-point question (the
rating of every SatisfactionResponse) is the default, and a liaison may add questions to the
lecture's own Survey (kind "lecture"); the filer (signed in) and the participants (anonymous,
by the lecture's link) answer them, checked by the engine's rules, and the results are summed
up per question as an inquiry's are."""
import logging
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import Survey, SurveyQuestion
from ...models.survey import LECTURE_QUESTION_KINDS
from ...timeutil import JST, utcnow
from ...workflows.surveys import SurveyStatus
from .. import ValidationFailed
from ..audit import record_audit
from ..surveys.answering import AnswersInvalid, clean_answers
from ..surveys.building import _question_fields

logger = logging.getLogger(__name__)

MAX_QUESTIONS = 20


def lecture_survey(visit):
    """The lecture's survey, or None while only the default question is asked."""
    return db.session.scalar(sa.select(Survey).where(Survey.visit_id == visit.id))


def lecture_questions(visit):
    """The questions asked after the 5-point rating (none by default)."""
    survey = lecture_survey(visit)
    return list(survey.questions) if survey is not None else []


def may_add_questions(visit, user):
    """Liaisons (who manage visits) add questions to a lecture's satisfaction survey."""
    return visit.kind == "lecture" and permissions.can(user, "manage", visit)


def _survey_for(visit, actor, now):
    survey = lecture_survey(visit)
    if survey is None:
        day = visit.starts_at.astimezone(JST).date()
        survey = Survey(kind="lecture", visit_id=visit.id, title=visit.title[:200],
                        purpose=_("出前講座の満足度アンケート"), deadline=day + timedelta(days=90),
                        reminder_days=0, status=SurveyStatus.OPEN.value, created_by_id=actor.id,
                        created_at=now, opened_at=now)
        db.session.add(survey)
        db.session.flush()
        record_audit("survey.create", actor=actor, target=survey, now=now, visit_id=visit.id)
    return survey


def add_lecture_question(visit, actor, *, kind, label, help_text=None, required=False,
                         options=(), now=None):
    """Add a question to the lecture's satisfaction survey (made on the first question). Answers
    given before it simply lack it."""
    now = now or utcnow()
    permissions.require(actor, "manage", visit)
    if visit.kind != "lecture":
        raise ValidationFailed(_("質問を追加できるのは出前講座のアンケートです。"), field="kind")
    if kind not in LECTURE_QUESTION_KINDS:
        raise ValidationFailed(_("この種類の質問は講座のアンケートでは使えません。"), field="kind")
    opts = _question_fields(kind, label, options)
    survey = _survey_for(visit, actor, now)
    if len(survey.questions) >= MAX_QUESTIONS:
        raise ValidationFailed(_("追加できる質問は%(n)d問までです。", n=MAX_QUESTIONS), field="label")
    q = SurveyQuestion(survey=survey, kind=kind, label=label.strip(),
                       help_text=(help_text or "").strip() or None, required=bool(required),
                       options=opts,
                       position=max((x.position for x in survey.questions), default=0) + 1)
    db.session.add(q)
    db.session.flush()
    record_audit("survey.question.add", actor=actor, target=survey, now=now, question_id=q.id,
                 visit_id=visit.id)
    logger.info("lecture survey of visit %s: question %s added by user %s", visit.id, q.id,
                actor.id)
    return q


def delete_lecture_question(visit, q, actor, now=None):
    """Stop asking a question of the lecture's survey; the answers already given keep its value
    (shown no more)."""
    now = now or utcnow()
    permissions.require(actor, "manage", visit)
    survey = lecture_survey(visit)
    if survey is None or q.survey_id != survey.id:
        raise ValidationFailed(_("この講座のアンケートの質問ではありません。"))
    question_id = q.id
    survey.questions.remove(q)
    db.session.flush()
    record_audit("survey.question.delete", actor=actor, target=survey, now=now,
                 question_id=question_id, visit_id=visit.id)


def clean_lecture_answers(visit, values):
    """{question id: value} from what was typed for the added questions (a form's MultiDict as
    {name: [strings]}); AnswersInvalid with a message per field otherwise."""
    survey = lecture_survey(visit)
    if survey is None or not survey.questions:
        return None
    answers, errors, _files = clean_answers(survey, values or {}, {}, {}, require_all=True)
    if errors:
        raise AnswersInvalid(errors)
    return answers or None


def lecture_results(visit, answers):
    """The satisfaction results of a lecture from its visible answers: the 5-point question's
    counts and average, then each added question summed up as an inquiry's."""
    # Imported here: the results module reaches the reports package, which imports visits.
    from ..surveys.results import summarise_answers

    ratings = Counter(a.rating for a in answers)
    total = sum(ratings.values())
    return {"responses": total,
            "average": round(sum(k * n for k, n in ratings.items()) / total, 2) if total else None,
            "ratings": [(k, ratings.get(k, 0)) for k in (5, 4, 3, 2, 1)],
            "questions": summarise_answers(lecture_questions(visit),
                                           [a.answers or {} for a in answers])}

