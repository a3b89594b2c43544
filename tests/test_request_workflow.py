"""Every allowed transition for every role allowed, and forbidden ones refused with no change."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RequestEvent
from supportdesk.services.requests.filing import perform_action
from supportdesk.services.requests.transitions import InvalidTransition
from supportdesk.timeutil import utcnow
from supportdesk.workflow import TRANSITIONS, Action, State
from tests.factories import make_expert, make_liaison, make_request, make_staff, make_user

CASES = [(src, action, role) for (src, action), t in TRANSITIONS.items() for role in sorted(t.by)]


def _events(sreq):
    return db.session.scalar(sa.select(sa.func.count()).select_from(RequestEvent)
                             .where(RequestEvent.request_id == sreq.id))


def _in_state(state, filer, **fields):
    """A request put into `state` directly: test setup, not application code."""
    sreq = make_request(filer, state=State.DRAFT if state == State.DRAFT else State.SUBMITTED,
                        **fields)
    if state != State.DRAFT:
        sreq.state = state.value
        if state == State.CLOSED:
            sreq.closed_at = utcnow() - timedelta(days=3)
        db.session.commit()
    return sreq


@pytest.mark.parametrize("src,action,role", CASES,
                         ids=[f"{s.value}-{a.value}-{r}" for s, a, r in CASES])
def test_allowed_transition(app, src, action, role):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    actor = staff if role == "municipal_staff" else liaison
    if src == State.DRAFT:  # a draft is its filer's alone: the liaison's own push-type draft
        sreq = _in_state(src, actor, municipality_id=staff.municipality_id)
    else:
        sreq = _in_state(src, staff)
    before = _events(sreq)
    perform_action(sreq, action, actor, reason="理由を記入", hold_until=date(2099, 1, 1))
    db.session.commit()
    t = TRANSITIONS[(src, action)]
    assert sreq.state == t.to.value
    ev = db.session.scalars(sa.select(RequestEvent).where(
        RequestEvent.request_id == sreq.id, RequestEvent.kind == "state")
        .order_by(RequestEvent.id.desc())).first()
    assert (ev.from_state, ev.to_state, ev.action, ev.actor_id) == \
           (src.value, t.to.value, action.value, actor.id)
    assert _events(sreq) > before


FORBIDDEN = [
    # (state, action, role, message fragment)
    (State.SUBMITTED, Action.TRIAGE, "municipal_staff", "権限"),
    (State.SCHEDULED, Action.DELIVER, "municipal_staff", "権限"),
    (State.TRIAGE, Action.DECLINE, "municipal_staff", "権限"),
    (State.ON_HOLD, Action.RESUME, "municipal_staff", "権限"),
    (State.SUBMITTED, Action.WITHDRAW, "liaison", "権限"),
    (State.SUBMITTED, Action.DELIVER, "liaison", "できません"),
    (State.DRAFT, Action.TRIAGE, "liaison", "できません"),
    (State.CLOSED, Action.HOLD, "liaison", "できません"),
    (State.WITHDRAWN, Action.REOPEN, "municipal_staff", "できません"),
    (State.DECLINED, Action.SUBMIT, "municipal_staff", "できません"),
    (State.SUBMITTED, Action.TRIAGE, "expert", "権限"),
    (State.TRIAGE, Action.ANSWER, "manager", "権限"),
    (State.SCHEDULED, Action.DELIVER, "admin", "権限"),
    (State.SUBMITTED, Action.TRIAGE, "other_staff", "権限"),
]


@pytest.mark.parametrize("src,action,role,fragment", FORBIDDEN,
                         ids=[f"{s.value}-{a.value}-{r}" for s, a, r, _ in FORBIDDEN])
def test_forbidden_transition_changes_nothing(app, src, action, role, fragment):
    staff = make_staff("佐用町")
    sreq = _in_state(src, staff)
    actor = {"municipal_staff": staff, "liaison": make_liaison("西播磨"),
             "expert": make_expert(), "manager": make_user("manager"),
             "admin": make_user("admin"), "other_staff": make_staff("姫路市")}[role]
    before = _events(sreq)
    with pytest.raises(InvalidTransition) as err:
        perform_action(sreq, action, actor, reason="理由", hold_until=date(2099, 1, 1))
    db.session.rollback()
    assert fragment in str(err.value)
    db.session.refresh(sreq)
    assert sreq.state == src.value
    assert _events(sreq) == before


def test_reopen_refused_after_30_days(app):
    staff = make_staff("佐用町")
    sreq = _in_state(State.CLOSED, staff)
    sreq.closed_at = utcnow() - timedelta(days=31)
    db.session.commit()
    before = _events(sreq)
    with pytest.raises(InvalidTransition, match="30日"):
        perform_action(sreq, Action.REOPEN, staff, reason="追加の質問")
    db.session.rollback()
    assert _events(sreq) == before


def test_reason_required_for_decline_and_hold_date(app):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = _in_state(State.TRIAGE, staff)
    with pytest.raises(InvalidTransition, match="理由"):
        perform_action(sreq, Action.DECLINE, liaison, reason=" ")
    db.session.rollback()
    with pytest.raises(InvalidTransition, match="予定日"):
        perform_action(sreq, Action.HOLD, liaison, reason="先方の予算待ち")
    db.session.rollback()
    assert sreq.state == State.TRIAGE.value


def test_forbidden_transition_over_http_is_refused_with_message(app, client, login_as):
    staff = make_staff("佐用町")
    sreq = make_request(staff)
    before = _events(sreq)
    login_as(staff)
    resp = client.post(f"/requests/{sreq.id}/action/triage", follow_redirects=True)
    assert resp.status_code == 200
    assert "この操作を行う権限がありません。" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert sreq.state == "submitted" and _events(sreq) == before


def test_liaison_triage_over_http_takes_the_request(app, client, login_as):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(staff)
    login_as(liaison)
    resp = client.post(f"/requests/{sreq.id}/action/triage")
    assert resp.status_code == 302
    db.session.expire_all()
    assert sreq.state == "triage" and sreq.assignee_id == liaison.id
    # Taking the request tells the municipality nothing: the first-response clock runs on.
    assert sreq.first_response_at is None


def test_nobody_but_the_filer_acts_on_a_draft(app):
    """The table lets liaisons submit and withdraw drafts: their own (push-type) ones only."""
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = _in_state(State.DRAFT, staff)
    for action in (Action.SUBMIT, Action.WITHDRAW):
        with pytest.raises(InvalidTransition, match="権限"):
            perform_action(sreq, action, liaison, reason="理由")
    assert sreq.state == State.DRAFT.value
