"""Request rules: the only code that assigns SupportRequest.state, and the event history."""
# Filing (create, edit, submit, withdraw) lives in request_filing.py, the conversation and support
# actions in request_conversation.py, files in attachments.py; all of them change state only
# through apply_action below.
import logging
from datetime import timedelta

from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import RequestEvent
from ...notifications import notify
from ...roles import Role
from ...timeutil import utcnow
from ...workflow import (ACTION_LABELS, FINAL_STATES, REOPEN_WINDOW_DAYS, Action, State,
                         transition_for)
from .. import DomainError
from .response_target import Contact, record_first_response

logger = logging.getLogger(__name__)


class InvalidTransition(DomainError):
    pass


def record_event(sreq, actor, kind, *, action=None, from_state=None, to_state=None, data=None,
                 note=None, internal=False, now=None):
    event = RequestEvent(request_id=sreq.id, actor_id=actor.id if actor else None, kind=kind,
                         action=action, from_state=from_state, to_state=to_state, data=data,
                         note=note, internal=internal, at=now or utcnow())
    db.session.add(event)
    return event


def allowed_actions(sreq, user, now=None):
    """Actions `user` may take on `sreq` now: what templates and the API offer as buttons."""
    from ...workflow import TRANSITIONS

    out = []
    for (src, action), _t in TRANSITIONS.items():
        if src == sreq.state and _check(sreq, action, user, now) is None:
            out.append(action)
    return out


def _check(sreq, action, user, now=None):
    """None if allowed, else the user-facing reason."""
    t = transition_for(sreq.state, action)
    if t is None:
        return _("「%(state)s」の状態からは「%(action)s」はできません。",
                 state=_state_label(sreq.state), action=ACTION_LABELS[Action(action)])
    if user.role not in t.by or not permissions.can(user, "transition", sreq):
        return _("この操作を行う権限がありません。")
    if action == Action.REOPEN:
        now = now or utcnow()
        if sreq.closed_at is None or now - sreq.closed_at > timedelta(days=REOPEN_WINDOW_DAYS):
            return _("完了から%(days)d日を過ぎた依頼は再開できません。新しい依頼として登録してください。",
                     days=REOPEN_WINDOW_DAYS)
    return None


def _state_label(state):
    from ...workflow import STATE_LABELS

    return _(STATE_LABELS[State(state)])


def apply_action(sreq, action, actor, *, reason=None, hold_until=None, now=None):
    """Move a request through the state machine, write the event and the notifications."""
    now = now or utcnow()
    action = Action(action)
    problem = _check(sreq, action, actor, now)
    if problem:
        raise InvalidTransition(problem)
    t = transition_for(sreq.state, action)
    if t.needs_reason and not (reason or "").strip():
        raise InvalidTransition(_("理由を入力してください。"))
    before = sreq.state
    sreq.state = t.to.value
    sreq.updated_at = now
    if action == Action.HOLD:
        sreq.hold_reason, sreq.hold_until = reason, hold_until
    elif action == Action.RESUME:
        sreq.hold_until = None
    elif action == Action.WITHDRAW:
        sreq.withdraw_reason = reason
    elif action == Action.DECLINE:
        sreq.decline_reason = reason
    if t.to in (State.ANSWERED, State.DELIVERED) and sreq.resolved_at is None:
        sreq.resolved_at = now
    if t.to in (State.CLOSED, State.DECLINED, State.WITHDRAWN):
        sreq.closed_at = now
    if action == Action.REOPEN:
        sreq.closed_at = None
        sreq.resolved_at = None
    if action == Action.TRIAGE and sreq.assignee_id is None and actor.role == Role.LIAISON:
        sreq.assignee_id = actor.id
    record_first_response(sreq, actor, now, Contact.STATE, action=action)
    if t.to in FINAL_STATES and sreq.waiting_for is not None:
        from .waiting import WaitingEndReason, end_waiting

        end_waiting(sreq, actor, WaitingEndReason.CLOSED, now=now)
    record_event(sreq, actor, "state", action=action.value, from_state=before, to_state=t.to.value,
                 note=reason, now=now)
    notify(f"request.{action.value}", sreq=sreq, actor=actor, now=now,
           from_state=before, to_state=t.to.value, reason=reason)
    logger.info("request %s %s -> %s by user %s (%s)", sreq.id, before, t.to.value, actor.id,
                action.value)
    db.session.flush()
    return sreq
