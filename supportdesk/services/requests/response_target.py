"""The first-response target (初回回答の目標), what counts as a first response, and what
"overdue" means: one owner for filing, the conversation, visits, the queue (its column and its
期限超過 filter), the escalation job, the request page and the report.

A first response is the first reply or contact the municipality can see, from the prefecture
side: a reply (not an internal note), a support action, a visit or call proposed or confirmed,
or a state change that tells the municipality an outcome (日程確定, 実施済, 回答済, 完了, 対応不可).
Taking the request (「担当して調整を始める」) or moving it to 人材調整 tells the municipality
nothing and does not stop the clock. A push-type request (プッシュ型) is the desk's own proposal:
its submission is the first contact.

A request is overdue when it is open work, its target has passed, nobody has given it a first
response yet and the desk is not waiting for the municipality or an expert (waiting time pauses
the clock: services/requests/waiting.py pushes the target out by the business days waited).
The monthly report's 「初回対応の目標超過」 is a different figure (targets that fell in the month
and were missed, answered late or not at all) and says so.
"""
from datetime import datetime, time
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app

from ... import calendar_jp
from ...models import SupportRequest
from ...roles import Role
from ...timeutil import JST
from ...workflow import OPEN_STATES, Action

_OPEN = [s.value for s in OPEN_STATES]


class Contact(StrEnum):
    """The kinds of contact that may be a first response."""
    REPLY = "reply"        # a message in the conversation
    SUPPORT = "support"    # a support action (助言, 橋渡し, 事例紹介, 事業者紹介)
    VISIT = "visit"        # a visit or call proposed or confirmed for the request
    STATE = "state"        # a state change (only the ones in OUTCOME_ACTIONS)


# State changes that tell the municipality something: an outcome, or a date.
OUTCOME_ACTIONS = frozenset({Action.SCHEDULE, Action.DELIVER, Action.ANSWER, Action.CLOSE,
                             Action.DECLINE})


def target_business_days(kind):
    """Business days allowed for the first response of a request of `kind`
    (FIRST_RESPONSE_BUSINESS_DAYS, per kind)."""
    return int(current_app.config["FIRST_RESPONSE_BUSINESS_DAYS"][kind])


def first_response_due(submitted_at, kind="consultation"):
    """When the first response is due: end of the n-th business day after submission (JST)."""
    return calendar_jp.due_at(submitted_at, target_business_days(kind))


def counts_as_first_response(sreq, actor, contact, *, action=None, internal=False):
    """Whether this contact by `actor` is a first response the municipality can see."""
    if actor is None or actor.role == Role.STAFF or internal:
        return False
    contact = Contact(contact)
    if contact == Contact.STATE:
        action = Action(action)
        if action == Action.SUBMIT:
            return sreq.origin == "push"
        return action in OUTCOME_ACTIONS
    return True


def record_first_response(sreq, actor, now, contact, *, action=None, internal=False):
    """Stop the first-response clock if this contact counts and none came before. The one
    place that writes SupportRequest.first_response_at. True when it did."""
    if sreq.first_response_at is not None or sreq.submitted_at is None:
        return False
    if not counts_as_first_response(sreq, actor, contact, action=action, internal=internal):
        return False
    sreq.first_response_at = now
    return True


def push_due(sreq, business_days):
    """Move the first-response target `business_days` business days later (waiting time)."""
    due = sreq.first_response_due_at
    if due is None or business_days <= 0:
        return
    day = calendar_jp.add_business_days(due.astimezone(JST).date(), business_days)
    sreq.first_response_due_at = datetime.combine(day, time(23, 59, 59), tzinfo=JST)


def is_overdue(sreq, now):
    return (sreq.state in _OPEN and sreq.first_response_at is None and sreq.waiting_for is None
            and sreq.first_response_due_at is not None and now > sreq.first_response_due_at)


def overdue_condition(now):
    """is_overdue as SQL conditions over SupportRequest."""
    return (SupportRequest.state.in_(_OPEN), SupportRequest.first_response_at.is_(None),
            SupportRequest.waiting_for.is_(None), SupportRequest.first_response_due_at < now)


def due_status(sreq, now):
    """("overdue", 0) / ("today", 0) / ("remaining", business days left) / ("waiting", 0) for
    the first-response target, or None once answered or when the request is not open work."""
    due = sreq.first_response_due_at
    if due is None or sreq.first_response_at is not None or sreq.state not in _OPEN:
        return None
    if sreq.waiting_for is not None:
        return "waiting", 0
    if is_overdue(sreq, now):
        return "overdue", 0
    today, due_day = now.astimezone(JST).date(), due.astimezone(JST).date()
    if due_day == today:
        return "today", 0
    return "remaining", calendar_jp.business_days_between(today, due_day)


def overdue_requests(now, limit=None):
    from ...extensions import db

    stmt = (sa.select(SupportRequest).where(*overdue_condition(now))
            .order_by(SupportRequest.first_response_due_at, SupportRequest.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return db.session.scalars(stmt).all()
