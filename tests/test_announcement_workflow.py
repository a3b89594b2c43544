"""Announcements: every transition of the table for every role it names runs through the
service and writes the new status; forbidden ones are refused with the service's error."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from supportdesk.extensions import db
from supportdesk.models import Announcement
from supportdesk.models.announcement import ANNOUNCEMENT_STATES
from supportdesk.permissions import PermissionDenied
from supportdesk.services import ValidationFailed
from supportdesk.services.announcements import (cancel_announcement, compose_announcement,
                                                send_announcement, send_due_announcements)
from supportdesk.workflows.announcements import (ACTION_LABELS, SCHEDULER, STATUS_LABELS,
                                                 TRANSITIONS, AnnouncementAction,
                                                 AnnouncementStatus, transition_for)
from tests.factories import make_liaison, make_staff, make_user

OPEN = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
LATER = OPEN + timedelta(hours=3)
CASES = [(src, action, role) for (src, action), t in TRANSITIONS.items() for role in sorted(t.by)]


def _actor(role):
    if role == SCHEDULER:
        return None
    return make_liaison("西播磨") if role == "liaison" else make_user(role)


def _compose(actor, scheduled_at=None):
    return compose_announcement(actor, title="補助金の公募開始", body="申請期限は12月末です。",
                                category="補助金・交付金", target_all=True,
                                scheduled_at=scheduled_at, now=OPEN)


def _in_status(status):
    """An announcement put into `status` directly: test setup, not application code."""
    a = _compose(make_liaison("西播磨"), scheduled_at=LATER)
    a.status = status.value
    db.session.commit()
    return a


def _run(src, action, actor, a=None):
    """The service call that takes `action`; from draft that is composing (a new one)."""
    if src == AnnouncementStatus.DRAFT:
        return _compose(actor, scheduled_at=LATER if action == AnnouncementAction.SCHEDULE
                        else None)
    if action == AnnouncementAction.CANCEL:
        return cancel_announcement(a, actor, now=OPEN)
    if actor is None:  # the scheduler job
        send_due_announcements(now=LATER)
        return a
    return send_announcement(a, now=LATER, actor=actor)


@pytest.mark.parametrize("src,action,role", CASES,
                         ids=[f"{s.value}-{a.value}-{r}" for s, a, r in CASES])
def test_allowed_transition(app, src, action, role):
    a = None if src == AnnouncementStatus.DRAFT else _in_status(src)
    a = _run(src, action, _actor(role), a)
    db.session.commit()
    db.session.refresh(a)
    assert a.status == TRANSITIONS[(src, action)].to.value


FORBIDDEN = [
    # (status, action, role, error)
    (AnnouncementStatus.SENT, AnnouncementAction.CANCEL, "liaison", ValidationFailed),
    (AnnouncementStatus.CANCELLED, AnnouncementAction.CANCEL, "admin", ValidationFailed),
    (AnnouncementStatus.SCHEDULED, AnnouncementAction.CANCEL, "manager", PermissionDenied),
    (AnnouncementStatus.SCHEDULED, AnnouncementAction.CANCEL, "municipal_staff", PermissionDenied),
    (AnnouncementStatus.SCHEDULED, AnnouncementAction.SEND, "liaison", PermissionDenied),
    (AnnouncementStatus.DRAFT, AnnouncementAction.SEND, "manager", PermissionDenied),
    (AnnouncementStatus.DRAFT, AnnouncementAction.SCHEDULE, "expert", PermissionDenied),
]


@pytest.mark.parametrize("src,action,role,error", FORBIDDEN,
                         ids=[f"{s.value}-{a.value}-{r}" for s, a, r, _e in FORBIDDEN])
def test_forbidden_transition_changes_nothing(app, src, action, role, error):
    a = None if src == AnnouncementStatus.DRAFT else _in_status(src)
    actor = make_staff("佐用町") if role == "municipal_staff" else _actor(role)
    count = db.session.query(Announcement).count()
    with pytest.raises(error):
        _run(src, action, actor, a)
    db.session.rollback()
    if a is not None:
        db.session.refresh(a)
        assert a.status == src.value
    assert db.session.query(Announcement).count() == count


@pytest.mark.parametrize("src", [AnnouncementStatus.SENT, AnnouncementStatus.CANCELLED])
def test_sending_a_sent_or_cancelled_one_again_does_nothing(app, src):
    a = _in_status(src)
    assert send_announcement(a, now=LATER) is a and a.sent_at is None
    assert a.status == src.value


def test_pairs_outside_the_table_have_no_transition():
    for status in AnnouncementStatus:
        for action in AnnouncementAction:
            assert (transition_for(status, action) is None) == ((status, action) not in TRANSITIONS)


def test_labels_cover_the_enums():
    assert set(STATUS_LABELS) == set(AnnouncementStatus)
    assert set(ACTION_LABELS) == set(AnnouncementAction)
    assert list(ANNOUNCEMENT_STATES) == [s.value for s in AnnouncementStatus]


def test_status_check_constraint_lists_exactly_the_enum():
    (check,) = [c for c in Announcement.__table__.constraints
                if "status IN" in str(getattr(c, "sqltext", ""))]
    assert set(re.findall(r"'([^']+)'", str(check.sqltext))) == \
        {s.value for s in AnnouncementStatus}
