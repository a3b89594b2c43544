"""Expert assignments: every transition of the table for every role it names runs through the
service and writes the new status; forbidden ones are refused with the service's error."""
import re

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import ExpertAssignment, RequestEvent
from supportdesk.models.expert_assignment import ACTIVE_ASSIGNMENT_STATUSES, ASSIGNMENT_STATUSES
from supportdesk.permissions import PermissionDenied
from supportdesk.services import ValidationFailed
from supportdesk.services.requests.experts import (InvalidAssignmentTransition, assign_experts,
                                          remove_assignment, respond_assignment)
from supportdesk.workflows.assignments import (ACTION_LABELS, ACTIVE, STATUS_LABELS, TRANSITIONS,
                                               AssignmentAction, AssignmentStatus, transition_for)
from tests.factories import (advance_request, make_expert, make_liaison, make_request, make_staff,
                             make_user)

CASES = [(src, action, role) for (src, action), t in TRANSITIONS.items() for role in sorted(t.by)]


def _in_status(status, liaison, expert):
    """An assignment put into `status` directly: test setup, not application code."""
    sreq = make_request(municipality_name="佐用町")
    advance_request(sreq, "triage", liaison)
    (a,) = assign_experts(sreq, [expert], liaison)
    a.status = status.value
    db.session.commit()
    return a


def _run(action, a, actor, expert):
    return {
        AssignmentAction.ASSIGN: lambda: assign_experts(a.sreq, [expert], actor),
        AssignmentAction.ACCEPT: lambda: respond_assignment(a, actor, accept=True),
        AssignmentAction.DECLINE: lambda: respond_assignment(a, actor, accept=False,
                                                             reason="日程が合わない"),
        AssignmentAction.REMOVE: lambda: remove_assignment(a, actor, reason="担当替え"),
    }[action]()


def _events(a):
    return db.session.scalar(sa.select(sa.func.count()).select_from(RequestEvent).where(
        RequestEvent.request_id == a.request_id, RequestEvent.kind == "expert"))


@pytest.mark.parametrize("src,action,role", CASES,
                         ids=[f"{s.value}-{a.value}-{r}" for s, a, r in CASES])
def test_allowed_transition(app, src, action, role):
    liaison, expert = make_liaison("西播磨"), make_expert()
    a = _in_status(src, liaison, expert)
    before = _events(a)
    _run(action, a, liaison if role == "liaison" else expert, expert)
    db.session.commit()
    db.session.refresh(a)
    assert a.status == TRANSITIONS[(src, action)].to.value
    ev = db.session.scalars(sa.select(RequestEvent).where(
        RequestEvent.request_id == a.request_id, RequestEvent.kind == "expert")
        .order_by(RequestEvent.id.desc())).first()
    assert ev.action == action.value and _events(a) == before + 1


FORBIDDEN = [
    # (status, action, role, error)
    (AssignmentStatus.ACCEPTED, AssignmentAction.ACCEPT, "expert", InvalidAssignmentTransition),
    (AssignmentStatus.DECLINED, AssignmentAction.ACCEPT, "expert", InvalidAssignmentTransition),
    (AssignmentStatus.REMOVED, AssignmentAction.ACCEPT, "expert", InvalidAssignmentTransition),
    (AssignmentStatus.DECLINED, AssignmentAction.DECLINE, "expert", InvalidAssignmentTransition),
    (AssignmentStatus.REMOVED, AssignmentAction.DECLINE, "expert", InvalidAssignmentTransition),
    (AssignmentStatus.REMOVED, AssignmentAction.REMOVE, "liaison", InvalidAssignmentTransition),
    (AssignmentStatus.DECLINED, AssignmentAction.REMOVE, "liaison", InvalidAssignmentTransition),
    (AssignmentStatus.PROPOSED, AssignmentAction.ACCEPT, "liaison", PermissionDenied),
    (AssignmentStatus.PROPOSED, AssignmentAction.ACCEPT, "other_expert", PermissionDenied),
    (AssignmentStatus.ACCEPTED, AssignmentAction.DECLINE, "other_expert", PermissionDenied),
    (AssignmentStatus.PROPOSED, AssignmentAction.REMOVE, "expert", PermissionDenied),
    (AssignmentStatus.ACCEPTED, AssignmentAction.REMOVE, "municipal_staff", PermissionDenied),
    (AssignmentStatus.DECLINED, AssignmentAction.ASSIGN, "expert", PermissionDenied),
    (AssignmentStatus.REMOVED, AssignmentAction.ASSIGN, "manager", PermissionDenied),
]


@pytest.mark.parametrize("src,action,role,error", FORBIDDEN,
                         ids=[f"{s.value}-{a.value}-{r}" for s, a, r, _e in FORBIDDEN])
def test_forbidden_transition_changes_nothing(app, src, action, role, error):
    liaison, expert = make_liaison("西播磨"), make_expert()
    a = _in_status(src, liaison, expert)
    actor = {"liaison": liaison, "expert": expert, "other_expert": make_expert(),
             "municipal_staff": make_staff("佐用町"), "manager": make_user("manager")}[role]
    before = _events(a)
    with pytest.raises(error):
        _run(action, a, actor, expert)
    db.session.rollback()
    db.session.refresh(a)
    assert a.status == src.value and _events(a) == before


@pytest.mark.parametrize("src", ACTIVE, ids=[s.value for s in ACTIVE])
def test_assigning_an_expert_already_on_it_changes_nothing(app, src):
    liaison, expert = make_liaison("西播磨"), make_expert()
    a = _in_status(src, liaison, expert)
    before = _events(a)
    assert assign_experts(a.sreq, [expert], liaison) == []
    db.session.commit()
    assert a.status == src.value and _events(a) == before


def test_decline_needs_a_reason(app):
    liaison, expert = make_liaison("西播磨"), make_expert()
    a = _in_status(AssignmentStatus.PROPOSED, liaison, expert)
    assert TRANSITIONS[(AssignmentStatus.PROPOSED, AssignmentAction.DECLINE)].needs_reason
    with pytest.raises(ValidationFailed):
        respond_assignment(a, expert, accept=False, reason=" ")
    db.session.rollback()
    assert a.status == "proposed"


def test_pairs_outside_the_table_have_no_transition():
    for status in AssignmentStatus:
        for action in AssignmentAction:
            assert (transition_for(status, action) is None) == ((status, action) not in TRANSITIONS)


def test_labels_and_active_statuses_come_from_the_enums():
    assert set(STATUS_LABELS) == set(AssignmentStatus)
    assert set(ACTION_LABELS) == set(AssignmentAction)
    assert list(ASSIGNMENT_STATUSES) == [s.value for s in AssignmentStatus]
    assert ACTIVE_ASSIGNMENT_STATUSES == ("proposed", "accepted")


def test_status_check_constraint_lists_exactly_the_enum():
    (check,) = [c for c in ExpertAssignment.__table__.constraints
                if "status IN" in str(getattr(c, "sqltext", ""))]
    assert set(re.findall(r"'([^']+)'", str(check.sqltext))) == {s.value for s in AssignmentStatus}
