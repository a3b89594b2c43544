"""The first-response target (初回回答の目標) and what "overdue" means: one owner for filing, the
queue (its column and its 期限超過 filter), the escalation job and the request page.

A request is overdue when it is open work, its target has passed and nobody has given it a
first response yet. The monthly report's 「初回対応の目標超過」 is a different figure (targets
that fell in the month and were missed, answered late or not at all) and says so.
"""
import sqlalchemy as sa
from flask import current_app

from ... import calendar_jp
from ...models import SupportRequest
from ...timeutil import JST
from ...workflow import OPEN_STATES

_OPEN = [s.value for s in OPEN_STATES]


def target_business_days(kind):
    """Business days allowed for the first response of a request of `kind`
    (FIRST_RESPONSE_BUSINESS_DAYS, per kind)."""
    return int(current_app.config["FIRST_RESPONSE_BUSINESS_DAYS"][kind])


def first_response_due(submitted_at, kind="consultation"):
    """When the first response is due: end of the n-th business day after submission (JST)."""
    return calendar_jp.due_at(submitted_at, target_business_days(kind))


def is_overdue(sreq, now):
    return (sreq.state in _OPEN and sreq.first_response_at is None
            and sreq.first_response_due_at is not None and now > sreq.first_response_due_at)


def overdue_condition(now):
    """is_overdue as SQL conditions over SupportRequest."""
    return (SupportRequest.state.in_(_OPEN), SupportRequest.first_response_at.is_(None),
            SupportRequest.first_response_due_at < now)


def due_status(sreq, now):
    """("overdue", 0) / ("today", 0) / ("remaining", business days left) for the first-response
    target, or None once answered or when the request is not open work."""
    due = sreq.first_response_due_at
    if due is None or sreq.first_response_at is not None or sreq.state not in _OPEN:
        return None
    if is_overdue(sreq, now):
        return "overdue", 0
    today, due_day = now.astimezone(JST).date(), due.astimezone(JST).date()
    if due_day == today:
        return "today", 0
    return "remaining", calendar_jp.business_days_between(today, due_day)


def overdue_requests(now):
    from ...extensions import db

    return db.session.scalars(sa.select(SupportRequest).where(*overdue_condition(now))
                              .order_by(SupportRequest.first_response_due_at,
                                        SupportRequest.id)).all()
