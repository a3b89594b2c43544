"""Visits: every transition of the table for every role it names runs through the service and
writes the new state; forbidden ones are refused with the service's error and change nothing."""
import re
from datetime import date, datetime, time

import pytest

from supportdesk.extensions import db
from supportdesk.models import Visit
from supportdesk.models.visit import VISIT_STATES
from supportdesk.permissions import PermissionDenied
from supportdesk.services import ValidationFailed
from supportdesk.services.visits import rounds as rounds_svc
from supportdesk.services.visits.lifecycle import (InvalidVisitTransition, cancel_visit, confirm_visit,
                                         create_visit, postpone_visit, record_visit)
from supportdesk.timeutil import JST
from supportdesk.workflows.visits import (ACTION_LABELS, STATE_LABELS, TRANSITIONS, VisitAction,
                                          VisitState, transition_for)
from tests.factories import make_expert, make_liaison, make_staff, make_user, municipality

CREATED = datetime(2025, 10, 1, 9, 0, tzinfo=JST)
START, END = datetime(2025, 11, 10, 10, 0, tzinfo=JST), datetime(2025, 11, 10, 12, 0, tzinfo=JST)
AFTER = datetime(2025, 11, 10, 13, 0, tzinfo=JST)
CASES = [(src, action, role) for (src, action), t in TRANSITIONS.items() for role in sorted(t.by)]


def _in_state(state, liaison, expert, kind):
    """A visit put into `state` directly: test setup, not application code."""
    v = create_visit(liaison, kind=kind, title="訪問", starts_at=START, ends_at=END,
                     municipalities=[municipality("佐用町")], attendees=[expert], now=CREATED)
    v.state = state.value
    db.session.commit()
    return v


def _run(action, v, actor):
    return {
        VisitAction.CONFIRM: lambda: confirm_visit(v, actor, now=CREATED),
        VisitAction.CANCEL: lambda: cancel_visit(v, actor, "先方の都合", now=CREATED),
        VisitAction.POSTPONE: lambda: postpone_visit(
            v, actor, starts_at=START.replace(day=21), ends_at=END.replace(day=21), now=CREATED),
        VisitAction.RECORD: lambda: record_visit(v, actor, covered="記録", now=AFTER),
        VisitAction.RECORD_ROUND: lambda: rounds_svc.record_round(
            actor, municipality("佐用町"), held_on=date(2025, 11, 10), start_time=time(10),
            end_time=time(11, 30), progress="取組状況", issues="", visit=v, now=AFTER),
    }[action]()


def _kind(action):
    # A round visit takes a 巡回記録 and refuses a 実施記録; the others the reverse.
    return "round" if action == VisitAction.RECORD_ROUND else "lecture"


@pytest.mark.parametrize("src,action,role", CASES,
                         ids=[f"{s.value}-{a.value}-{r}" for s, a, r in CASES])
def test_allowed_transition(app, src, action, role):
    liaison, expert = make_liaison("西播磨"), make_expert()
    v = _in_state(src, liaison, expert, _kind(action))
    _run(action, v, liaison if role == "liaison" else expert)
    db.session.commit()
    db.session.refresh(v)
    assert v.state == TRANSITIONS[(src, action)].to.value


FORBIDDEN = [
    # (state, action, role, error)
    (VisitState.CANCELLED, VisitAction.CONFIRM, "liaison", InvalidVisitTransition),
    (VisitState.HELD, VisitAction.CONFIRM, "liaison", InvalidVisitTransition),
    (VisitState.HELD, VisitAction.CANCEL, "liaison", InvalidVisitTransition),
    (VisitState.POSTPONED, VisitAction.POSTPONE, "liaison", InvalidVisitTransition),
    (VisitState.CANCELLED, VisitAction.RECORD, "liaison", InvalidVisitTransition),
    (VisitState.PROPOSED, VisitAction.RECORD, "expert", InvalidVisitTransition),
    (VisitState.PROPOSED, VisitAction.CONFIRM, "expert", PermissionDenied),
    (VisitState.CONFIRMED, VisitAction.CANCEL, "expert", PermissionDenied),
    (VisitState.CONFIRMED, VisitAction.POSTPONE, "municipal_staff", PermissionDenied),
    (VisitState.PROPOSED, VisitAction.CONFIRM, "admin", PermissionDenied),
    (VisitState.CONFIRMED, VisitAction.RECORD, "manager", PermissionDenied),
    (VisitState.CONFIRMED, VisitAction.RECORD, "other_expert", PermissionDenied),
    (VisitState.CANCELLED, VisitAction.RECORD_ROUND, "liaison", ValidationFailed),
    (VisitState.POSTPONED, VisitAction.RECORD_ROUND, "liaison", ValidationFailed),
    (VisitState.CONFIRMED, VisitAction.RECORD_ROUND, "expert", PermissionDenied),
]


@pytest.mark.parametrize("src,action,role,error", FORBIDDEN,
                         ids=[f"{s.value}-{a.value}-{r}" for s, a, r, _e in FORBIDDEN])
def test_forbidden_transition_changes_nothing(app, src, action, role, error):
    liaison, expert = make_liaison("西播磨"), make_expert()
    v = _in_state(src, liaison, expert, _kind(action))
    actor = {"liaison": liaison, "expert": expert, "municipal_staff": make_staff("佐用町"),
             "admin": make_user("admin"), "manager": make_user("manager"),
             "other_expert": make_expert()}[role]
    visits = db.session.query(Visit).count()
    with pytest.raises(error):
        _run(action, v, actor)
    db.session.rollback()
    db.session.refresh(v)
    assert v.state == src.value
    assert db.session.query(Visit).count() == visits


def test_pairs_outside_the_table_have_no_transition():
    for state in VisitState:
        for action in VisitAction:
            assert (transition_for(state, action) is None) == ((state, action) not in TRANSITIONS)
    assert transition_for("held", "confirm") is None


def test_labels_cover_the_enums():
    assert set(STATE_LABELS) == set(VisitState)
    assert set(ACTION_LABELS) == set(VisitAction)
    assert list(VISIT_STATES) == [s.value for s in VisitState]


def test_state_check_constraint_lists_exactly_the_enum():
    (check,) = [c for c in Visit.__table__.constraints
                if "state IN" in str(getattr(c, "sqltext", ""))]
    assert set(re.findall(r"'([^']+)'", str(check.sqltext))) == {s.value for s in VisitState}
