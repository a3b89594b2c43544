"""Applications to a course: applying, the 情報部門's approval, the waiting list and its
promotion when a seat frees, cancelling, and recording completion."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import TrainingApplication, User
from ...notifications import notify
from ...timeutil import utcnow
from ...workflows.training import (LIVE, SEAT_HOLDING, SYSTEM, ApplicationAction,
                                   ApplicationStatus, application_transition)
from .. import ValidationFailed
from ..audit import record_audit
from .courses import is_open_for_applications

logger = logging.getLogger(__name__)


def _check(app_, action, actor):
    t = application_transition(app_.status, action)
    if t is None:
        raise ValidationFailed(_("この申込の状態ではその操作はできません。"))
    role = actor.role if actor is not None else SYSTEM
    if role not in t.by:
        raise permissions.PermissionDenied(
            f"{getattr(actor, 'id', SYSTEM)} may not {action} application {app_.id}")
    return t


def _move(app_, t, actor):
    """The one place an application's status is written: `t` is a checked row of the table."""
    before, app_.status = app_.status, t.to.value
    logger.info("training application %s %s -> %s by %s", app_.id, before, app_.status,
                f"user {actor.id}" if actor is not None else SYSTEM)


def seats_taken(course):
    return db.session.scalar(sa.select(sa.func.count(TrainingApplication.id)).where(
        TrainingApplication.course_id == course.id,
        TrainingApplication.status.in_([s.value for s in SEAT_HOLDING]))) or 0


def seats_free(course):
    return max(course.capacity - seats_taken(course), 0)


def waiting_list(course):
    """The waiting list in its order: first put on it, first promoted."""
    return db.session.scalars(sa.select(TrainingApplication).where(
        TrainingApplication.course_id == course.id,
        TrainingApplication.status == ApplicationStatus.WAITLISTED.value).order_by(
        TrainingApplication.waitlisted_at, TrainingApplication.id)).all()


def applications_of(course, user):
    """The course's applications the user may read (staff: their municipality's), by time."""
    stmt = sa.select(TrainingApplication).where(TrainingApplication.course_id == course.id) \
        .order_by(TrainingApplication.applied_at, TrainingApplication.id)
    return db.session.scalars(permissions.scope_training_applications(stmt, user)).all()


def live_application(course, user):
    return db.session.scalar(sa.select(TrainingApplication).where(
        TrainingApplication.course_id == course.id, TrainingApplication.user_id == user.id,
        TrainingApplication.status.in_([s.value for s in LIVE])))


def _link(course):
    return f"/training/courses/{course.id}"


def _seat_or_wait(app_, actor, now):
    """Approved (or needing no approval): a seat when one is free, else the waiting list."""
    if seats_free(app_.course) > 0:
        _move(app_, _check(app_, ApplicationAction.APPROVE, actor), actor)
    else:
        _move(app_, _check(app_, ApplicationAction.WAITLIST, actor), actor)
        app_.waitlisted_at = now


def apply_to_course(course, actor, *, note=None, now=None):
    """A municipal staff member applies, for their own municipality. A course that needs
    approval waits for the 情報部門 (who hear it); otherwise the seat is given at once, or the
    place on the waiting list."""
    now = now or utcnow()
    permissions.require(actor, "apply", course)
    if not is_open_for_applications(course, now):
        raise ValidationFailed(_("この研修の申込は締め切られています。"))
    if live_application(course, actor) is not None:
        raise ValidationFailed(_("この研修にはすでに申し込んでいます。"))
    app_ = TrainingApplication(course=course, user_id=actor.id,
                               municipality_id=actor.municipality_id, applied_at=now,
                               note=(note or "").strip() or None,
                               status=ApplicationStatus.PENDING.value)
    db.session.add(app_)
    db.session.flush()
    approvers = permissions.info_dept_of(actor.municipality_id) if course.requires_approval \
        else []
    if approvers:
        recipients = approvers
    else:
        # No approval needed, or a municipality without an active 情報部門 account (nobody could
        # ever approve: the application would wait for good, so it is treated as the courses
        # without approval are, and the organiser hears of it). The seat (or the waiting-list
        # place) is given at once, by the table's APPROVE / WAITLIST rows with the applicant
        # as the one who acts.
        _seat_or_wait(app_, actor, now)
        recipients = [u for u in (db.session.get(User, course.created_by_id),) if u is not None]
    db.session.flush()
    notify("training.applied", recipients=recipients, actor=actor, now=now, link=_link(course),
           course=course, applicant=actor, needs_approval=bool(approvers),
           urgent=False, event_key=f"training:{app_.id}:applied")
    record_audit("training.application.apply", actor=actor, target=app_, now=now,
                 course_id=course.id, status=app_.status,
                 approval="info_dept" if approvers else (
                     "no_info_dept" if course.requires_approval else "none"))
    return app_


def approve_application(app_, actor, *, note=None, now=None):
    """The 情報部門 of the applicant's municipality approves: a seat, or the waiting list when
    the course is full. The applicant hears which."""
    now = now or utcnow()
    permissions.require(actor, "approve", app_)
    if app_.status != ApplicationStatus.PENDING:
        raise ValidationFailed(_("承認待ちの申込だけ承認できます。"))
    _seat_or_wait(app_, actor, now)
    app_.decided_by_id, app_.decided_at = actor.id, now
    app_.decision_note = (note or "").strip() or None
    db.session.flush()
    notify("training.approved", recipients=[app_.user], actor=actor, now=now,
           link=_link(app_.course), course=app_.course,
           waitlisted=app_.status == ApplicationStatus.WAITLISTED, urgent=False,
           event_key=f"training:{app_.id}:approved")
    record_audit("training.application.approve", actor=actor, target=app_, now=now,
                 status=app_.status)
    return app_


def reject_application(app_, actor, *, note=None, now=None):
    now = now or utcnow()
    permissions.require(actor, "approve", app_)
    _move(app_, _check(app_, ApplicationAction.REJECT, actor), actor)
    app_.decided_by_id, app_.decided_at = actor.id, now
    app_.decision_note = (note or "").strip() or None
    db.session.flush()
    notify("training.rejected", recipients=[app_.user], actor=actor, now=now,
           link=_link(app_.course), course=app_.course, reason=app_.decision_note,
           urgent=False, event_key=f"training:{app_.id}:rejected")
    record_audit("training.application.reject", actor=actor, target=app_, now=now)
    return app_


def cancel_application(app_, actor, *, now=None):
    """The applicant, their 情報部門 or the prefecture withdraws it; a seat it held goes to
    the first of the waiting list."""
    now = now or utcnow()
    if not permissions.may_cancel_application(actor, app_):
        raise permissions.PermissionDenied(f"{actor.id} may not cancel application {app_.id}")
    held_seat = app_.status == ApplicationStatus.CONFIRMED
    _move(app_, _check(app_, ApplicationAction.CANCEL, actor), actor)
    app_.cancelled_at = now
    db.session.flush()
    record_audit("training.application.cancel", actor=actor, target=app_, now=now)
    if held_seat:
        promote_waiting(app_.course, now=now)
    return app_


def promote_waiting(course, now=None):
    """Give every free seat to the waiting list, in its order; each promoted applicant hears
    it. Returns the promoted applications (none when the course is full or nobody waits)."""
    now = now or utcnow()
    promoted = []
    free = seats_free(course)
    for app_ in waiting_list(course)[:free]:
        _move(app_, _check(app_, ApplicationAction.PROMOTE, None), None)
        db.session.flush()
        notify("training.seat_offered", recipients=[app_.user], now=now,
               link=_link(course), course=course, urgent=False,
               event_key=f"training:{app_.id}:seat_offered")
        record_audit("training.application.promote", target=app_, now=now,
                     course_id=course.id)
        promoted.append(app_)
    return promoted


def complete_applications(course, actor, application_ids, *, now=None):
    """Record completion (修了) of the confirmed applications named. Returns how many."""
    now = now or utcnow()
    permissions.require(actor, "track", course)
    wanted = {int(i) for i in application_ids}
    done = 0
    for app_ in db.session.scalars(sa.select(TrainingApplication).where(
            TrainingApplication.course_id == course.id, TrainingApplication.id.in_(wanted),
            TrainingApplication.status == ApplicationStatus.CONFIRMED.value)
            .order_by(TrainingApplication.id)):
        permissions.require(actor, "complete", app_)
        _move(app_, _check(app_, ApplicationAction.COMPLETE, actor), actor)
        app_.completed_at, app_.completed_by_id = now, actor.id
        record_audit("training.application.complete", actor=actor, target=app_, now=now)
        done += 1
    if not done:
        raise ValidationFailed(_("修了を記録する受講者を選んでください。"), field="application_ids")
    db.session.flush()
    return done


def pending_approvals(user):
    """The applications waiting for this 情報部門 user's approval (their municipality's)."""
    if not permissions.can(user, "approve", permissions.InMunicipality(
            "training_application", user.municipality_id)):
        return []
    return db.session.scalars(sa.select(TrainingApplication).where(
        TrainingApplication.municipality_id == user.municipality_id,
        TrainingApplication.status == ApplicationStatus.PENDING.value).order_by(
        TrainingApplication.applied_at, TrainingApplication.id)).all()


def may_cancel(user, app_):
    """The table has a cancel row from its status, and the user may cancel it."""
    return (application_transition(app_.status, ApplicationAction.CANCEL) is not None
            and permissions.may_cancel_application(user, app_))


def may_decide(user, app_):
    """It waits for approval, and the user is its municipality's 情報部門."""
    return app_.status == ApplicationStatus.PENDING and permissions.can(user, "approve", app_)


def my_applications(user):
    return db.session.scalars(sa.select(TrainingApplication).where(
        TrainingApplication.user_id == user.id).order_by(
        TrainingApplication.applied_at.desc(), TrainingApplication.id.desc())).all()

