"""The 市町DX推進リーダー programme (Ⅲ-2(1)): cohorts, trainees with their term, host department,
mentor and learning plan, the progress log, and completing the term, which gives the
municipality its leader: a dx_leader contact in its directory, found there by liaisons."""
import calendar
import logging
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import Contact, LeaderCohort, LeaderProgressEntry, LeaderTrainee, Municipality, User
from ...roles import Role
from ...timeutil import utcnow
from ...workflows.contacts import ContactRole
from ...workflows.training import TERMS, TraineeStatus
from .. import ValidationFailed
from ..audit import record_audit
from ..contacts.directory import clean_contact_values
from .courses import today_in_tokyo

logger = logging.getLogger(__name__)
MENTOR_ROLES = (Role.LIAISON, Role.EXPERT, Role.MANAGER, Role.ADMIN)


def term_end(term, starts_on):
    """The last day of a term begun on `starts_on`: one week (7 days) or six months."""
    if term == "one_week":
        return starts_on + timedelta(days=6)
    month = starts_on.month - 1 + 6
    year, month = starts_on.year + month // 12, month % 12 + 1
    day = min(starts_on.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) - timedelta(days=1)


def create_cohort(actor, *, name, fiscal_year, note=None, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", "leader_cohort")
    if not (name or "").strip():
        raise ValidationFailed(_("期の名称を入力してください。"), field="name")
    if not isinstance(fiscal_year, int) or not 2019 <= fiscal_year <= 2100:
        raise ValidationFailed(_("年度を西暦で入力してください。"), field="fiscal_year")
    cohort = LeaderCohort(name=name.strip(), fiscal_year=fiscal_year,
                          note=(note or "").strip() or None, created_by_id=actor.id,
                          created_at=now)
    db.session.add(cohort)
    db.session.flush()
    record_audit("training.cohort.create", actor=actor, target=cohort, now=now)
    return cohort


def _mentor(mentor_id):
    if not mentor_id:
        return None
    user = db.session.get(User, int(mentor_id))
    if user is None or user.role not in MENTOR_ROLES or not user.active:
        raise ValidationFailed(_("メンターは県側の職員・専門人材から選んでください。"), field="mentor_id")
    return user


def add_trainee(cohort, actor, *, municipality_id, name, term, starts_on, host_department,
                learning_plan, department=None, email=None, user_id=None, mentor_id=None,
                ends_on=None, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", "leader_trainee")
    m = db.session.get(Municipality, int(municipality_id or 0))
    if m is None:
        raise ValidationFailed(_("市町を選んでください。"), field="municipality_id")
    if term not in TERMS:
        raise ValidationFailed(_("研修期間を選んでください。"), field="term")
    if not isinstance(starts_on, date):
        raise ValidationFailed(_("開始日を入力してください。"), field="starts_on")
    ends_on = ends_on or term_end(term, starts_on)
    if ends_on < starts_on:
        raise ValidationFailed(_("終了日は開始日以降の日付にしてください。"), field="ends_on")
    if not (host_department or "").strip():
        raise ValidationFailed(_("受入所属を入力してください。"), field="host_department")
    if not (learning_plan or "").strip():
        raise ValidationFailed(_("研修計画を入力してください。"), field="learning_plan")
    # The same checks as the contact the trainee becomes (name, e-mail, linked account).
    clean = clean_contact_values(m.id, dict(role=ContactRole.DX_LEADER.value, name=name,
                                            department=department, email=email,
                                            valid_from=starts_on, user_id=user_id))
    mentor = _mentor(mentor_id)
    trainee = LeaderTrainee(
        cohort=cohort, municipality_id=m.id, user_id=clean["user_id"], name=clean["name"],
        department=clean["department"], email=clean["email"], term=term, starts_on=starts_on,
        ends_on=ends_on, host_department=host_department.strip(),
        mentor_id=mentor.id if mentor else None, learning_plan=learning_plan.strip(),
        status=TraineeStatus.IN_TRAINING.value, created_at=now)
    db.session.add(trainee)
    db.session.flush()
    record_audit("training.trainee.add", actor=actor, target=trainee, now=now,
                 municipality_id=m.id, cohort_id=cohort.id)
    return trainee


def log_progress(trainee, actor, *, note, noted_on=None, now=None):
    """Add an entry to the trainee's progress log (entries are never edited)."""
    now = now or utcnow()
    permissions.require(actor, "manage", trainee)
    if not (note or "").strip():
        raise ValidationFailed(_("内容を入力してください。"), field="note")
    if trainee.status == TraineeStatus.WITHDRAWN:
        raise ValidationFailed(_("中断した研修生の記録は追加できません。"))
    entry = LeaderProgressEntry(trainee=trainee, noted_on=noted_on or today_in_tokyo(now),
                                note=note.strip(), author_id=actor.id, created_at=now)
    db.session.add(entry)
    db.session.flush()
    record_audit("training.trainee.progress", actor=actor, target=trainee, now=now,
                 entry_id=entry.id)
    return entry


def complete_trainee(trainee, actor, now=None):
    """After the term (from the day after its last day): the trainee is the municipality's
    市町DX推進リーダー from today, a dx_leader contact of its directory (linked to their account
    when they have one)."""
    now = now or utcnow()
    permissions.require(actor, "manage", trainee)
    today = today_in_tokyo(now)
    if trainee.status != TraineeStatus.IN_TRAINING:
        raise ValidationFailed(_("研修中の研修生だけ修了にできます。"))
    if today <= trainee.ends_on:
        raise ValidationFailed(_("研修期間(%(d)sまで)が終わってから修了にしてください。",
                                 d=trainee.ends_on.isoformat()))
    clean = clean_contact_values(trainee.municipality_id, dict(
        role=ContactRole.DX_LEADER.value, name=trainee.name, department=trainee.department,
        email=trainee.email, valid_from=today, user_id=trainee.user_id,
        title=_("市町DX推進リーダー(%(cohort)s)", cohort=trainee.cohort.name)[:100]))
    contact = Contact(municipality_id=trainee.municipality_id, created_at=now, updated_at=now,
                      **clean)
    db.session.add(contact)
    db.session.flush()
    trainee.status, trainee.completed_at, trainee.contact_id = (
        TraineeStatus.COMPLETED.value, now, contact.id)
    db.session.flush()
    record_audit("contact.added", actor=actor, target=contact, now=now,
                 municipality_id=trainee.municipality_id, source="leader_programme")
    record_audit("training.trainee.complete", actor=actor, target=trainee, now=now,
                 contact_id=contact.id)
    logger.info("leader trainee %s completed: contact %s in municipality %s", trainee.id,
                contact.id, trainee.municipality_id)
    return trainee


def withdraw_trainee(trainee, actor, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", trainee)
    if trainee.status != TraineeStatus.IN_TRAINING:
        raise ValidationFailed(_("研修中の研修生だけ中断にできます。"))
    trainee.status = TraineeStatus.WITHDRAWN.value
    db.session.flush()
    record_audit("training.trainee.withdraw", actor=actor, target=trainee, now=now)
    return trainee


def cohorts(limit=100):
    return db.session.scalars(sa.select(LeaderCohort).order_by(
        LeaderCohort.fiscal_year.desc(), LeaderCohort.id.desc()).limit(limit)).all()


def leaders_of(municipality_id):
    """The municipality's 市町DX推進リーダー: its trainees who completed a term, newest first."""
    return db.session.scalars(sa.select(LeaderTrainee).options(
        joinedload(LeaderTrainee.cohort)).where(
        LeaderTrainee.municipality_id == municipality_id,
        LeaderTrainee.status == TraineeStatus.COMPLETED.value).order_by(
        LeaderTrainee.completed_at.desc(), LeaderTrainee.id.desc())).all()


def trainees_of(municipality_id, user):
    stmt = sa.select(LeaderTrainee).where(LeaderTrainee.municipality_id == municipality_id) \
        .order_by(LeaderTrainee.starts_on.desc(), LeaderTrainee.id.desc())
    return db.session.scalars(permissions.scope_leader_trainees(stmt, user)).all()


def mentor_choices():
    return db.session.scalars(sa.select(User).where(
        User.role.in_([r.value for r in MENTOR_ROLES]), User.active.is_(True))
        .order_by(User.role, User.display_name)).all()
