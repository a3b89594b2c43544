"""Waiting for the municipality or an expert (市町の回答待ち / 人材の回答待ち).

While the desk waits, the business-day clock stops: the request is not overdue, and when the
wait ends the first-response target moves out by the business days waited (if the wait began
before the target). The report's response times leave the waited business days out. A wait
ends on the answer it waited for (a reply by the filer or a co-applicant municipality; an
expert's accept or decline), when a liaison ends it, or when the request is finished.
"""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import calendar_jp, permissions
from ...extensions import db
from ...models import ExpertAssignment, RequestWaitingPeriod
from ...models.waiting import WAITING_LABELS, WaitingEndReason, WaitingFor
from ...roles import Role
from ...timeutil import JST, utcnow
from ...workflow import OPEN_WORK
from .. import ValidationFailed
from .response_target import push_due
from .transitions import InvalidTransition, record_event

logger = logging.getLogger(__name__)

__all__ = ["WaitingEndReason", "WaitingFor", "WAITING_LABELS", "answers_municipality_wait",
           "answers_expert_wait", "current_period", "end_waiting", "may_wait", "start_waiting"]


def may_wait(sreq, user):
    """Whether `user` may mark (or end) a wait on `sreq` now: the page's buttons ask this."""
    return sreq.state in OPEN_WORK and permissions.can(user, "wait", sreq)


def current_period(sreq):
    return db.session.scalar(sa.select(RequestWaitingPeriod).where(
        RequestWaitingPeriod.request_id == sreq.id, RequestWaitingPeriod.ended_at.is_(None))
        .order_by(RequestWaitingPeriod.id.desc()).limit(1))


def _has_proposed_expert(sreq):
    from ...workflows.assignments import AssignmentStatus

    return db.session.scalar(sa.select(sa.func.count(ExpertAssignment.id)).where(
        ExpertAssignment.request_id == sreq.id,
        ExpertAssignment.status == AssignmentStatus.PROPOSED.value)) > 0


def start_waiting(sreq, actor, waiting_for, *, reason=None, now=None):
    """Mark the request as waiting for the municipality or an expert."""
    now = now or utcnow()
    permissions.require(actor, "view", sreq)
    if not permissions.can(actor, "wait", sreq):
        raise permissions.PermissionDenied(f"user {actor.id} may not mark request {sreq.id} waiting")
    try:
        waiting_for = WaitingFor(waiting_for)
    except ValueError:
        raise ValidationFailed(_("誰の回答を待つかを選んでください。"), field="waiting_for") from None
    if sreq.state not in OPEN_WORK:
        raise InvalidTransition(_("対応中の依頼だけを回答待ちにできます。"))
    if sreq.waiting_for is not None:
        raise InvalidTransition(_("この依頼はすでに「%(label)s」です。",
                                  label=_(WAITING_LABELS[WaitingFor(sreq.waiting_for)])))
    if waiting_for == WaitingFor.EXPERT and not _has_proposed_expert(sreq):
        raise ValidationFailed(_("回答を待っている人材がいません。先に人材を割り当ててください。"),
                               field="waiting_for")
    reason = (reason or "").strip() or None
    db.session.add(RequestWaitingPeriod(request_id=sreq.id, waiting_for=waiting_for.value,
                                        reason=reason, started_at=now, started_by_id=actor.id))
    sreq.waiting_for, sreq.waiting_since, sreq.updated_at = waiting_for.value, now, now
    record_event(sreq, actor, "waiting", action="start", note=reason, now=now,
                 data={"waiting_for": waiting_for.value})
    logger.info("request %s: waiting for %s (user %s)", sreq.id, waiting_for.value, actor.id)
    db.session.flush()
    return sreq


def waited_business_days(started_at, ended_at):
    """Business days after the day the wait started, up to and including the day it ended."""
    return calendar_jp.business_days_between(started_at.astimezone(JST).date(),
                                             ended_at.astimezone(JST).date())


def end_waiting(sreq, actor, ended_reason, *, now=None):
    """End the current wait (if any) and restart the clock: the first-response target moves out
    by the business days waited. Returns the period ended, or None when there was no wait."""
    now = now or utcnow()
    ended_reason = WaitingEndReason(ended_reason)
    if ended_reason == WaitingEndReason.MANUAL:
        permissions.require(actor, "view", sreq)
        if not permissions.can(actor, "wait", sreq):
            raise permissions.PermissionDenied(f"user {actor.id} may not end a wait on {sreq.id}")
    if sreq.waiting_for is None:
        return None
    period = current_period(sreq)
    if period is not None:
        period.ended_at, period.ended_by_id = now, actor.id if actor else None
        period.ended_reason = ended_reason.value
        period.business_days = waited_business_days(period.started_at, now)
        due = sreq.first_response_due_at
        if sreq.first_response_at is None and due is not None and period.started_at <= due:
            push_due(sreq, period.business_days)
    record_event(sreq, actor, "waiting", action="end", now=now,
                 data={"waiting_for": sreq.waiting_for, "reason": ended_reason.value,
                       "business_days": period.business_days if period else 0})
    logger.info("request %s: wait for %s ended (%s)", sreq.id, sreq.waiting_for,
                ended_reason.value)
    sreq.waiting_for, sreq.waiting_since, sreq.updated_at = None, None, now
    db.session.flush()
    return period


def answers_municipality_wait(sreq, actor):
    """A reply by staff of the filing or a co-applicant municipality answers a wait for them."""
    return (sreq.waiting_for == WaitingFor.MUNICIPALITY and actor.role == Role.STAFF
            and actor.municipality_id in sreq.scope_municipality_ids())


def answers_expert_wait(sreq):
    return sreq.waiting_for == WaitingFor.EXPERT
