"""What stops the first-response clock: the first reply or contact the municipality can see
(services/requests/response_target.py record_first_response), not a liaison taking the request.
The target's business days skip weekends and Japanese public holidays."""
from datetime import datetime, timedelta

import pytest

from supportdesk.extensions import db
from supportdesk.services.requests.conversation import add_comment, record_support_action
from supportdesk.services.requests.escalations import escalate_first_responses
from supportdesk.services.requests.response_target import due_status, is_overdue
from supportdesk.services.requests.transitions import apply_action
from supportdesk.services.visits.lifecycle import create_visit
from supportdesk.timeutil import JST
from tests.factories import make_expert, make_liaison, make_request, make_staff

MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=JST)      # a plain week: no holiday
LATER = datetime(2026, 12, 4, 10, 0, tzinfo=JST)        # after the 2-business-day target


@pytest.fixture
def taken(app):
    """A consultation filed Monday and taken by the region's liaison at once."""
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(staff, now=MONDAY)
    apply_action(sreq, "triage", liaison, now=MONDAY + timedelta(minutes=5))
    db.session.commit()
    return dict(staff=staff, liaison=liaison, sreq=sreq)


def test_taking_the_request_does_not_stop_the_clock(taken, client, login_as):
    """「担当して調整を始める」 tells the municipality nothing: still overdue after the target."""
    sreq = taken["sreq"]
    assert sreq.state == "triage" and sreq.first_response_at is None
    assert is_overdue(sreq, LATER) and due_status(sreq, LATER) == ("overdue", 0)
    assert escalate_first_responses(now=LATER) == 1
    # So is moving it on to 人材調整.
    apply_action(sreq, "select_experts", taken["liaison"], now=LATER)
    db.session.commit()
    assert sreq.first_response_at is None


def test_an_internal_note_does_not_stop_the_clock(taken):
    sreq = taken["sreq"]
    add_comment(sreq, taken["liaison"], "市町に聞く前に課内で確認", internal=True,
                now=MONDAY + timedelta(hours=1))
    db.session.commit()
    assert sreq.first_response_at is None


def test_a_reply_the_municipality_sees_stops_the_clock(taken):
    sreq = taken["sreq"]
    at = MONDAY + timedelta(hours=2)
    add_comment(sreq, taken["liaison"], "担当の山田です。来週お伺いします。", now=at)
    db.session.commit()
    assert sreq.first_response_at == at
    assert not is_overdue(sreq, LATER) and due_status(sreq, LATER) is None
    # A later contact does not move it.
    add_comment(sreq, taken["liaison"], "追って連絡します", now=at + timedelta(days=1))
    db.session.commit()
    assert sreq.first_response_at == at


def test_the_municipality_writing_again_does_not_stop_the_clock(taken):
    sreq = taken["sreq"]
    add_comment(sreq, taken["staff"], "補足です。", now=MONDAY + timedelta(hours=1))
    db.session.commit()
    assert sreq.first_response_at is None


def test_a_support_action_stops_the_clock(taken):
    sreq = taken["sreq"]
    at = MONDAY + timedelta(hours=3)
    record_support_action(sreq, taken["liaison"], "advice", note="電子申請の進め方を助言", now=at)
    db.session.commit()
    assert sreq.first_response_at == at


def test_a_scheduled_visit_or_call_stops_the_clock(taken):
    sreq = taken["sreq"]
    at = MONDAY + timedelta(hours=4)
    start = datetime(2026, 12, 10, 14, 0, tzinfo=JST)
    create_visit(taken["liaison"], kind="meeting", title="オンライン打合せ", starts_at=start,
                 ends_at=start + timedelta(hours=1), municipalities=[sreq.municipality],
                 sreq=sreq, now=at)
    db.session.commit()
    assert sreq.first_response_at == at


def test_an_experts_reply_stops_the_clock(taken):
    from supportdesk.services.requests.experts import assign_experts

    sreq = taken["sreq"]
    expert = make_expert()
    assign_experts(sreq, [expert], taken["liaison"], now=MONDAY + timedelta(hours=1))
    db.session.commit()
    assert sreq.first_response_at is None  # proposing an expert is internal work
    at = MONDAY + timedelta(hours=5)
    add_comment(sreq, expert, "DXアドバイザーの佐藤です。資料を拝見しました。", now=at)
    db.session.commit()
    assert sreq.first_response_at == at


def test_answering_or_declining_stops_the_clock(app):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    answered, declined = make_request(staff, now=MONDAY), make_request(staff, now=MONDAY)
    apply_action(answered, "triage", liaison, now=MONDAY)
    apply_action(declined, "triage", liaison, now=MONDAY)
    at = MONDAY + timedelta(days=1)
    apply_action(answered, "answer", liaison, now=at)
    apply_action(declined, "decline", liaison, reason="県の支援の対象外です", now=at)
    db.session.commit()
    assert answered.first_response_at == at and declined.first_response_at == at


def test_a_push_type_proposal_is_itself_the_first_contact(app):
    liaison = make_liaison("西播磨")
    from tests.factories import municipality

    sreq = make_request(liaison, origin="push", municipality_id=municipality("佐用町").id,
                        now=MONDAY)
    assert sreq.origin == "push" and sreq.first_response_at == sreq.submitted_at


@pytest.mark.parametrize("filed, kind, due", [
    # Friday afternoon: the weekend does not count (Mon, Tue).
    (datetime(2026, 11, 27, 15, 30, tzinfo=JST), "consultation", "2026-12-01"),
    # Friday before 勤労感謝の日 (Mon 2026-11-23): the holiday does not count (Tue, Wed).
    (datetime(2026, 11, 20, 15, 30, tzinfo=JST), "consultation", "2026-11-25"),
    # A lecture with its own target (5 business days, configured below) over the holiday.
    (datetime(2026, 11, 20, 15, 30, tzinfo=JST), "lecture", "2026-11-30"),
])
def test_target_over_a_weekend_and_a_holiday_per_kind(make_app, filed, kind, due):
    app = make_app(FIRST_RESPONSE_BUSINESS_DAYS={"consultation": 2, "lecture": 5,
                                                  "accompaniment": 2})
    with app.app_context():
        sreq = make_request(make_staff("佐用町"), kind, now=filed)
        got = sreq.first_response_due_at.astimezone(JST)
        assert got.date().isoformat() == due and (got.hour, got.minute) == (23, 59)
        end_of_due = got + timedelta(seconds=1)
        assert not is_overdue(sreq, got) and is_overdue(sreq, end_of_due)
