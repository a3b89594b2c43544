"""The municipalities' answers to a project (参加 / 検討中 / 見送り): the municipality's staff
answer and change it until the join deadline; after it only a liaison records a change for them.
Every change is a new ProjectAnswerRevision (append-only): the history on the project page."""
import logging

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import Municipality, ProjectAnswer, ProjectAnswerRevision, ProjectEligible, User
from ...models.project import ANSWERS
from ...notifications import notify
from ...timeutil import JST, utcnow
from ...workflows.projects import ProjectStatus
from .. import ValidationFailed
from ..audit import record_audit

logger = logging.getLogger(__name__)
FIELDS = ("answer", "contact", "note", "population", "agreed_yen")


def today_in_tokyo(now):
    return now.astimezone(JST).date()


def in_time(project, now):
    """The join deadline's day itself is still in time (Tokyo)."""
    return today_in_tokyo(now) <= project.join_deadline


def is_eligible(project, municipality_id):
    return db.session.scalar(sa.select(ProjectEligible.id).where(
        ProjectEligible.project_id == project.id,
        ProjectEligible.municipality_id == municipality_id)) is not None


def answer_of(project, municipality_id):
    return db.session.scalar(sa.select(ProjectAnswer).where(
        ProjectAnswer.project_id == project.id, ProjectAnswer.municipality_id == municipality_id))


def may_answer(user, project, now=None):
    """May `user` answer for their own municipality now: the table's answer row, the project
    open and the join deadline not passed. The page's form and the service ask this."""
    now = now or utcnow()
    return (user.municipality_id is not None
            and permissions.can_in(user, "answer", "project_answer", user.municipality_id)
            and project.status == ProjectStatus.OPEN and in_time(project, now)
            and is_eligible(project, user.municipality_id))


def _clean(project, answer, contact, note, population, agreed_yen):
    if answer not in ANSWERS:
        raise ValidationFailed(_("参加・検討中・見送りのいずれかを選んでください。"), field="answer")
    contact = (contact or "").strip()
    if not contact:
        raise ValidationFailed(_("担当者(部署・氏名・連絡先)を入力してください。"), field="contact")
    if population is not None and population <= 0:
        raise ValidationFailed(_("人口は1以上の整数で入力してください。"), field="population")
    if project.cost_kind == "per_capita" and answer == "join" and population is None:
        raise ValidationFailed(_("人口割の事業です。負担金の算定に使う人口を入力してください。"),
                               field="population")
    if agreed_yen is not None and agreed_yen < 0:
        raise ValidationFailed(_("金額は0以上で入力してください。"), field="agreed_yen")
    return dict(answer=answer, contact=contact[:200], note=(note or "").strip() or None,
                population=population, agreed_yen=agreed_yen)


def _write(project, municipality_id, actor, values, *, via_liaison, now):
    row = answer_of(project, municipality_id)
    late = not in_time(project, now)
    if row is None:
        row = ProjectAnswer(project_id=project.id, municipality_id=municipality_id, revision=0,
                            **values)
        db.session.add(row)
    elif all(getattr(row, f) == values[f] for f in FIELDS):
        return row, False  # nothing changed: no new revision
    for f in FIELDS:
        setattr(row, f, values[f])
    row.revision += 1
    row.updated_by_id, row.updated_at = actor.id, now
    db.session.flush()
    db.session.add(ProjectAnswerRevision(answer_id=row.id, revision=row.revision, by_id=actor.id,
                                         at=now, via_liaison=via_liaison, after_deadline=late,
                                         **values))
    db.session.flush()
    logger.info("project %s: municipality %s answered %s (rev %s) by user %s", project.id,
                municipality_id, row.answer, row.revision, actor.id)
    record_audit("project.answer", actor=actor, target=project, now=now,
                 municipality_id=municipality_id, answer=row.answer, revision=row.revision,
                 via_liaison=via_liaison, after_deadline=late)
    author = db.session.get(User, project.created_by_id)
    if author is not None and author.id != actor.id:
        municipality = db.session.get(Municipality, municipality_id)
        notify("project.answered", recipients=[author], actor=actor, now=now,
               municipality=municipality, link=f"/projects/{project.id}", project=project,
               answer_label=_(ANSWERS[row.answer]), urgent=False,
               event_key=f"project:{project.id}:answer:m{municipality_id}:r{row.revision}")
    return row, True


def answer_project(project, actor, *, answer, contact, note=None, population=None, now=None):
    """The municipality's own answer (its staff), until the join deadline: (row, changed)."""
    now = now or utcnow()
    permissions.require(actor, "view", project)
    permissions.require_in(actor, "answer", "project_answer", actor.municipality_id)
    if project.status != ProjectStatus.OPEN:
        raise ValidationFailed(_("この事業は回答を受け付けていません。"))
    if not is_eligible(project, actor.municipality_id):
        raise permissions.PermissionDenied(f"{actor.id}: project {project.id} not open to them")
    if not in_time(project, now):
        raise ValidationFailed(_("参加の回答期限を過ぎています。変更は担当のリエゾンにご連絡ください。"))
    existing = answer_of(project, actor.municipality_id)
    agreed = existing.agreed_yen if existing is not None else None
    values = _clean(project, answer, contact, note, population, agreed)
    return _write(project, actor.municipality_id, actor, values, via_liaison=False, now=now)


def record_answer(project, actor, municipality, *, answer, contact, note=None, population=None,
                  agreed_yen=None, now=None):
    """A liaison records a municipality's answer (received by phone or mail, or a change after
    the join deadline, which needs a note saying why), and the amount agreed with it."""
    now = now or utcnow()
    permissions.require(actor, "view", project)
    permissions.require_in(actor, "record", "project_answer", municipality)
    if project.status == ProjectStatus.DRAFT:
        raise ValidationFailed(_("公開前の事業には回答を記録できません。"))
    if not is_eligible(project, municipality.id):
        raise ValidationFailed(_("この市町はこの事業の対象ではありません。"), field="municipality_id")
    if not in_time(project, now) and not (note or "").strip():
        raise ValidationFailed(_("回答期限後の変更です。変更の経緯を備考に入力してください。"),
                               field="note")
    values = _clean(project, answer, contact, note, population, agreed_yen)
    return _write(project, municipality.id, actor, values, via_liaison=True, now=now)


def answers_of(project, user):
    """The answers the user may read ({municipality id: ProjectAnswer}): staff only their own."""
    stmt = permissions.scope_project_answers(
        sa.select(ProjectAnswer).where(ProjectAnswer.project_id == project.id).options(
            selectinload(ProjectAnswer.municipality),
            selectinload(ProjectAnswer.revisions).selectinload(ProjectAnswerRevision.by)), user)
    return {a.municipality_id: a for a in db.session.scalars(stmt)}


def revisions_of(answer_row):
    return db.session.scalars(sa.select(ProjectAnswerRevision).where(
        ProjectAnswerRevision.answer_id == answer_row.id)
        .order_by(ProjectAnswerRevision.revision.desc())).all()


def participant_ids(project, answers=("join",)):
    """Municipality ids whose current answer is in `answers` (参加 by default)."""
    return set(db.session.scalars(sa.select(ProjectAnswer.municipality_id).where(
        ProjectAnswer.project_id == project.id, ProjectAnswer.answer.in_(answers))))
