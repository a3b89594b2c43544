"""The participants' satisfaction survey of a held lecture: a link the filer forwards (a secret
token in the URL, no login), its answers, and how many a lecture may receive."""
import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import ParticipantSurveyLink, SatisfactionResponse, VisitRecord
from ...models.visit import SatisfactionSource
from ...timeutil import utcnow
from ...workflows.visits import VisitState
from .. import ValidationFailed
from .lecture_survey import clean_lecture_answers

logger = logging.getLogger(__name__)

# Without a record of attendance, a lecture takes at most this many participant answers.
DEFAULT_MAX_ANSWERS = 300


def _is_held_lecture(visit):
    return visit.kind == "lecture" and visit.state == VisitState.HELD


def may_share_survey(visit, user):
    """Whether the visit page offers `user` the participants' link: a held lecture, and the
    permission to share it (the municipality's staff, liaisons)."""
    return _is_held_lecture(visit) and permissions.can(user, "share_survey", visit)


MAX_LINK_DAYS = 90


def participant_link(visit, actor, now=None, days=None):
    """The lecture's participant link, made on first asking (one per lecture). It closes after
    `days` days (the one who makes it sets them; PARTICIPANT_SURVEY_LINK_DAYS by default)."""
    now = now or utcnow()
    permissions.require(actor, "share_survey", visit)
    if not _is_held_lecture(visit):
        raise ValidationFailed(_("実施済みの出前講座のみ参加者に回答を依頼できます。"), field="link")
    if days is not None and not 1 <= days <= MAX_LINK_DAYS:
        raise ValidationFailed(_("回答を受け付ける日数は1~%(n)d日で指定してください。",
                                 n=MAX_LINK_DAYS), field="days")
    link = existing_link(visit)
    if link is None:
        days = days or current_app.config["PARTICIPANT_SURVEY_LINK_DAYS"]
        link = ParticipantSurveyLink(visit_id=visit.id, token=secrets.token_urlsafe(32),
                                     created_by_id=actor.id, created_at=now,
                                     expires_at=now + timedelta(days=days))
        db.session.add(link)
        db.session.flush()
        logger.info("participant survey link for visit %s made by user %s", visit.id, actor.id)
    return link


def existing_link(visit):
    return db.session.scalar(sa.select(ParticipantSurveyLink)
                             .where(ParticipantSurveyLink.visit_id == visit.id))


def open_link(token, now=None):
    """The link of `token` while it takes answers (None if unknown, expired, or its lecture is
    no longer a held lecture)."""
    now = now or utcnow()
    if not token or len(token) > 64:
        return None
    link = db.session.scalar(sa.select(ParticipantSurveyLink)
                             .where(ParticipantSurveyLink.token == token))
    if link is None or link.expires_at <= now or not _is_held_lecture(link.visit):
        return None
    return link


def max_answers(visit):
    """The recorded number of participants, or DEFAULT_MAX_ANSWERS before a record has one."""
    record = db.session.scalar(sa.select(VisitRecord).where(VisitRecord.visit_id == visit.id))
    total = 0
    if record is not None:
        total = sum((record.attendees_executives or 0, record.attendees_business or 0,
                     record.attendees_information or 0, record.attendees_other or 0))
    return total or DEFAULT_MAX_ANSWERS


def submit_participant_answer(link, *, rating, comment="", values=None, now=None):
    """One participant's anonymous answer through the lecture's link: the 5-point rating, the
    comment and (`values`, as typed) the questions a liaison added."""
    now = now or utcnow()
    if rating not in (1, 2, 3, 4, 5):
        raise ValidationFailed(_("1から5で評価してください。"), field="rating")
    answers = clean_lecture_answers(link.visit, values)
    taken = db.session.scalar(sa.select(sa.func.count(SatisfactionResponse.id)).where(
        SatisfactionResponse.visit_id == link.visit_id,
        SatisfactionResponse.source == SatisfactionSource.PARTICIPANT.value))
    if taken >= max_answers(link.visit):
        raise ValidationFailed(_("この講座の回答数が参加者数の上限に達しました。"), field="rating")
    answer = SatisfactionResponse(visit_id=link.visit_id, respondent_id=None,
                                  source=SatisfactionSource.PARTICIPANT.value, rating=rating,
                                  comment=(comment or "").strip(), answers=answers,
                                  created_at=now)
    db.session.add(answer)
    db.session.flush()
    return answer
