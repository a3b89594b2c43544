"""The course catalogue: creating and editing a course, publishing it to its targets (fixed
then, as a survey's), cancelling it, and the courses a user may see."""
import logging
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import TrainingCourse, TrainingCourseTarget
from ...models.org import DX_STAFF_BANDS, POPULATION_BANDS
from ...timeutil import JST, utcnow
from ...workflows.contacts import ContactRole
from ...workflows.training import (AUDIENCES, FORMATS, LEVELS, CourseAction, CourseStatus,
                                   course_transition)
from .. import ValidationFailed
from ..announcements import target_municipalities
from ..audit import record_audit

logger = logging.getLogger(__name__)
FIELDS = ("title", "description", "level", "format", "venue", "starts_on", "ends_on",
          "capacity", "apply_by", "requires_approval", "audience")


def today_in_tokyo(now=None):
    return (now or utcnow()).astimezone(JST).date()


def _check(course, action, actor):
    t = course_transition(course.status, action)
    if t is None:
        raise ValidationFailed(_("この研修の状態ではその操作はできません。"))
    if actor.role not in t.by:
        raise permissions.PermissionDenied(f"{actor.id} may not {action} course {course.id}")
    return t


def _move(course, t, actor):
    """The one place a course's status is written: `t` is a checked row of the table."""
    before, course.status = course.status, t.to.value
    logger.info("training course %s %s -> %s by user %s", course.id, before, course.status,
                actor.id)


def _clean(values, now):
    out = {f: values.get(f) for f in FIELDS}
    out["title"] = (out["title"] or "").strip()
    out["description"] = (out["description"] or "").strip()
    out["venue"] = (out["venue"] or "").strip() or None
    if not out["title"]:
        raise ValidationFailed(_("研修名を入力してください。"), field="title")
    if not out["description"]:
        raise ValidationFailed(_("研修の内容を入力してください。"), field="description")
    if out["level"] not in LEVELS:
        raise ValidationFailed(_("レベルを選んでください。"), field="level")
    if out["format"] not in FORMATS:
        raise ValidationFailed(_("実施形式を選んでください。"), field="format")
    if out["audience"] not in AUDIENCES:
        raise ValidationFailed(_("対象の部署を選んでください。"), field="audience")
    for f in ("starts_on", "ends_on", "apply_by"):
        if not isinstance(out[f], date):
            raise ValidationFailed(_("日付を入力してください。"), field=f)
    if out["ends_on"] < out["starts_on"]:
        raise ValidationFailed(_("終了日は開始日以降の日付にしてください。"), field="ends_on")
    if out["apply_by"] > out["starts_on"]:
        raise ValidationFailed(_("申込締切は開始日までの日付にしてください。"), field="apply_by")
    if not isinstance(out["capacity"], int) or not 1 <= out["capacity"] <= 10000:
        raise ValidationFailed(_("定員は1~10000の数字で入力してください。"), field="capacity")
    out["requires_approval"] = bool(out["requires_approval"])
    return out


def _targets(course, values):
    pops, bands = values.get("population_bands") or (), values.get("dx_staff_bands") or ()
    roles = values.get("contact_roles") or ()
    if any(b not in POPULATION_BANDS for b in pops) or any(b not in DX_STAFF_BANDS for b in bands):
        raise ValidationFailed(_("対象の条件が正しくありません。"), field="target_all")
    if any(r not in {c.value for c in ContactRole} for r in roles):
        raise ValidationFailed(_("対象の役職が正しくありません。"), field="contact_roles")
    course.target_all = bool(values.get("target_all"))
    course.target_region_ids = sorted(set(values.get("region_ids") or ())) or None
    course.target_population_bands = list(pops) or None
    course.target_dx_staff_bands = list(bands) or None
    course.target_municipality_ids = sorted(set(values.get("municipality_ids") or ())) or None
    course.target_contact_roles = [r.value for r in ContactRole if r in set(roles)] or None
    if not target_municipalities(course):
        raise ValidationFailed(_("対象の市町がありません。対象の条件を確認してください。"),
                               field="target_all")


def create_course(actor, *, now=None, **values):
    """A new course, 準備中 until it is published."""
    now = now or utcnow()
    permissions.require(actor, "create", "training_course")
    course = TrainingCourse(created_by_id=actor.id, created_at=now,
                            status=CourseStatus.DRAFT.value, **_clean(values, now))
    _targets(course, values)
    db.session.add(course)
    db.session.flush()
    record_audit("training.course.create", actor=actor, target=course, now=now)
    return course


def update_course(course, actor, *, now=None, **values):
    """Change a course. The targets only while 準備中 (they are fixed when it is published);
    the capacity never below the seats already taken."""
    from .applications import promote_waiting, seats_taken

    now = now or utcnow()
    permissions.require(actor, "manage", course)
    if course.status == CourseStatus.CANCELLED:
        raise ValidationFailed(_("中止した研修は変更できません。"))
    clean = _clean(values, now)
    if clean["capacity"] < seats_taken(course):
        raise ValidationFailed(_("定員は受講決定済みの人数(%(n)d人)より少なくできません。",
                                 n=seats_taken(course)), field="capacity")
    for f, v in clean.items():
        setattr(course, f, v)
    if course.status == CourseStatus.DRAFT:
        _targets(course, values)
    db.session.flush()
    record_audit("training.course.update", actor=actor, target=course, now=now)
    promote_waiting(course, now=now)  # a larger capacity frees seats for the waiting list
    return course


def publish_course(course, actor, now=None):
    """Fix the targets: from now on the course is open to their staff until its deadline."""
    now = now or utcnow()
    permissions.require(actor, "manage", course)
    t = _check(course, CourseAction.PUBLISH, actor)
    munis = target_municipalities(course)
    if not munis:
        raise ValidationFailed(_("対象の市町がありません。対象の条件を確認してください。"))
    for m in munis:
        course.targets.append(TrainingCourseTarget(municipality_id=m.id))
    _move(course, t, actor)
    course.published_at = now
    db.session.flush()
    record_audit("training.course.publish", actor=actor, target=course, now=now,
                 municipalities=len(munis))
    return course


def cancel_course(course, actor, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", course)
    _move(course, _check(course, CourseAction.CANCEL, actor), actor)
    db.session.flush()
    record_audit("training.course.cancel", actor=actor, target=course, now=now)
    return course


def courses_for(user, limit=300):
    """The courses the user may see, the latest start first (staff: the published ones open
    to them)."""
    stmt = sa.select(TrainingCourse).order_by(TrainingCourse.starts_on.desc(),
                                              TrainingCourse.id.desc()).limit(limit)
    return db.session.scalars(permissions.scope_courses(stmt, user)).all()


def is_open_for_applications(course, now=None):
    """Published and the deadline day (Tokyo) has not passed."""
    return course.status == CourseStatus.PUBLISHED and today_in_tokyo(now) <= course.apply_by
