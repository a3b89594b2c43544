"""Waiting for the municipality or an expert stops the business-day clock
(services/requests/waiting.py): the first-response target moves out by the business days waited,
nothing is overdue meanwhile, the report leaves the wait out, and the wait ends on the answer."""
from datetime import datetime

import pytest
import sqlalchemy as sa
import time_machine

from supportdesk.extensions import db
from supportdesk.models import RequestWaitingPeriod
from supportdesk.permissions import PermissionDenied
from supportdesk.services import ValidationFailed
from supportdesk.services.reports.figures import month_period, responsiveness
from supportdesk.services.requests.conversation import add_comment
from supportdesk.services.requests.escalations import escalate_first_responses
from supportdesk.services.requests.experts import assign_experts, respond_assignment
from supportdesk.services.requests.response_target import due_status, is_overdue
from supportdesk.services.requests.transitions import apply_action
from supportdesk.services.requests.waiting import (end_waiting, start_waiting,
                                                   waited_business_days)
from supportdesk.timeutil import JST
from tests.factories import (make_expert, make_liaison, make_request, make_staff, make_user,
                             municipality)
from tests.test_api import bearer


def jst(*args):
    return datetime(*args, tzinfo=JST)


MONDAY = jst(2026, 11, 30, 10)  # filed: due Wed 2 Dec (2 business days), a plain week


@pytest.fixture
def world(app):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(staff, title="回答待ちの相談", now=MONDAY)
    apply_action(sreq, "triage", liaison, now=MONDAY)
    db.session.commit()
    return dict(staff=staff, liaison=liaison, sreq=sreq)


def _periods(sreq):
    return db.session.scalars(sa.select(RequestWaitingPeriod).where(
        RequestWaitingPeriod.request_id == sreq.id).order_by(RequestWaitingPeriod.id)).all()


@pytest.mark.parametrize("started, ended, days", [
    (jst(2026, 12, 1, 10), jst(2026, 12, 1, 17), 0),   # the same day
    (jst(2026, 11, 27, 15), jst(2026, 11, 30, 9), 1),  # Friday to Monday: the weekend is free
    (jst(2026, 11, 20, 15), jst(2026, 11, 24, 9), 1),  # over 勤労感謝の日 (Mon 23 Nov)
    (jst(2026, 12, 1, 10), jst(2026, 12, 4, 10), 3),   # Tue to Fri: Wed, Thu, Fri
])
def test_business_days_waited(started, ended, days):
    assert waited_business_days(started, ended) == days


def test_a_wait_stops_the_clock_and_moves_the_target_by_the_days_waited(world):
    sreq, staff, liaison = world["sreq"], world["staff"], world["liaison"]
    assert sreq.first_response_due_at == jst(2026, 12, 2, 23, 59, 59)
    start_waiting(sreq, liaison, "municipality", reason="対象業務の件数を確認中", now=jst(2026, 12, 1, 10))
    db.session.commit()
    assert sreq.waiting_for == "municipality" and sreq.waiting_since == jst(2026, 12, 1, 10)
    thursday = jst(2026, 12, 3, 10)  # past the original target
    assert not is_overdue(sreq, thursday) and due_status(sreq, thursday) == ("waiting", 0)
    assert escalate_first_responses(now=thursday) == 0
    # The filer answers on Friday: 3 business days waited (Wed, Thu, Fri).
    add_comment(sreq, staff, "件数は年間約1,200件です。", now=jst(2026, 12, 4, 10))
    db.session.commit()
    assert sreq.waiting_for is None and sreq.waiting_since is None
    (period,) = _periods(sreq)
    assert (period.ended_reason, period.ended_by_id, period.business_days) == \
        ("municipality_replied", staff.id, 3)
    # Wed 2 Dec + 3 business days = Mon 7 Dec (the weekend does not count).
    assert sreq.first_response_due_at == jst(2026, 12, 7, 23, 59, 59)
    assert not is_overdue(sreq, jst(2026, 12, 7, 12)) and is_overdue(sreq, jst(2026, 12, 8, 9))


def test_a_liaisons_own_reply_does_not_end_the_wait(world):
    sreq = world["sreq"]
    start_waiting(sreq, world["liaison"], "municipality", now=jst(2026, 12, 1, 10))
    add_comment(sreq, world["liaison"], "ご回答をお待ちしています", now=jst(2026, 12, 2, 10))
    db.session.commit()
    assert sreq.waiting_for == "municipality"
    assert sreq.first_response_at == jst(2026, 12, 2, 10)  # but it is a first response


def test_a_co_applicants_reply_ends_the_wait(app):
    filer, co_staff = make_staff("佐用町"), make_staff("上郡町")
    liaison = make_liaison("西播磨")
    sreq = make_request(filer, "lecture", now=MONDAY,
                        co_municipality_ids=[municipality("上郡町").id])
    start_waiting(sreq, liaison, "municipality", now=jst(2026, 12, 1, 10))
    add_comment(sreq, co_staff, "上郡町も同じ日程で参加できます", now=jst(2026, 12, 2, 10))
    db.session.commit()
    assert sreq.waiting_for is None
    assert _periods(sreq)[0].ended_reason == "municipality_replied"


@pytest.mark.parametrize("accept", [True, False])
def test_an_experts_accept_or_decline_ends_the_wait(world, accept):
    sreq, liaison = world["sreq"], world["liaison"]
    expert = make_expert()
    with pytest.raises(ValidationFailed):  # nobody to wait for yet
        start_waiting(sreq, liaison, "expert", now=jst(2026, 12, 1, 9))
    (assignment,) = assign_experts(sreq, [expert], liaison, now=jst(2026, 12, 1, 9))
    start_waiting(sreq, liaison, "expert", now=jst(2026, 12, 1, 10))
    db.session.commit()
    assert sreq.waiting_for == "expert" and not is_overdue(sreq, jst(2026, 12, 3, 10))
    respond_assignment(assignment, expert, accept=accept, reason=None if accept else "日程が合わない",
                       now=jst(2026, 12, 3, 10))
    db.session.commit()
    assert sreq.waiting_for is None
    (period,) = _periods(sreq)
    assert (period.ended_reason, period.business_days) == ("expert_responded", 2)
    assert sreq.first_response_due_at == jst(2026, 12, 4, 23, 59, 59)


def test_finishing_the_request_ends_the_wait(world):
    sreq, liaison = world["sreq"], world["liaison"]
    start_waiting(sreq, liaison, "municipality", now=jst(2026, 12, 1, 10))
    apply_action(sreq, "decline", liaison, reason="回答がないため", now=jst(2026, 12, 10, 10))
    db.session.commit()
    assert sreq.waiting_for is None and _periods(sreq)[0].ended_reason == "closed"


def test_only_the_requests_team_may_mark_it_waiting(world):
    sreq = world["sreq"]
    other_region = make_liaison("但馬")
    for user in (world["staff"], other_region, make_user("manager")):
        with pytest.raises(PermissionDenied):
            start_waiting(sreq, user, "municipality", now=jst(2026, 12, 1, 10))
    db.session.rollback()
    assert sreq.waiting_for is None and _periods(sreq) == []
    start_waiting(sreq, world["liaison"], "municipality", now=jst(2026, 12, 1, 10))
    db.session.commit()
    with pytest.raises(PermissionDenied):
        end_waiting(sreq, world["staff"], "manual", now=jst(2026, 12, 2, 10))


def test_staff_cannot_mark_waiting_over_http(world, client, login_as):
    sreq = world["sreq"]
    login_as(world["staff"])
    page = client.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert 'data-testid="waiting-start"' not in page
    resp = client.post(f"/requests/{sreq.id}/waiting", data={"waiting_for": "municipality"})
    assert resp.status_code == 404
    db.session.expire_all()
    assert sreq.waiting_for is None


def test_waiting_from_the_request_page_to_the_queue(world, client, login_as):
    sreq, liaison = world["sreq"], world["liaison"]
    other = make_request(world["staff"], title="待っていない相談", now=MONDAY)
    with time_machine.travel(jst(2026, 12, 1, 10), tick=False):
        login_as(liaison)
        page = client.get(f"/requests/{sreq.id}").get_data(as_text=True)
        assert 'data-testid="waiting-start"' in page
        resp = client.post(f"/requests/{sreq.id}/waiting",
                           data={"waiting_for": "municipality", "reason": "件数の確認"})
        assert resp.status_code == 302
        page = client.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert 'data-testid="waiting"' in page and "市町の回答待ち" in page
    assert 'data-testid="waiting-start"' not in page and 'data-testid="waiting-end"' in page
    # The queue two days later: a badge with since-when, and the waiting / not waiting filter.
    with time_machine.travel(jst(2026, 12, 3, 10), tick=False):
        login_as(liaison)
        queue = client.get("/queue/").get_data(as_text=True)
        waiting = client.get("/queue/", query_string={"waiting": "yes"}).get_data(as_text=True)
        not_waiting = client.get("/queue/", query_string={"waiting": "no"}).get_data(as_text=True)
        overdue = client.get("/queue/", query_string={"overdue": "1"}).get_data(as_text=True)
        # Ending it by hand.
        resp = client.post(f"/requests/{sreq.id}/waiting/end")
        assert resp.status_code == 302
    row = queue.split(f'data-request-id="{sreq.id}"')[1].split("</tr>")[0]
    assert 'data-testid="waiting-badge"' in row and "市町の回答待ち" in row and "2026-12-01" in row
    other_row = queue.split(f'data-request-id="{other.id}"')[1].split("</tr>")[0]
    assert 'data-testid="waiting-badge"' not in other_row
    assert "回答待ちの相談" in waiting and "待っていない相談" not in waiting
    assert "回答待ちの相談" not in not_waiting and "待っていない相談" in not_waiting
    assert "回答待ちの相談" not in overdue and "待っていない相談" in overdue
    db.session.expire_all()
    assert sreq.waiting_for is None and _periods(sreq)[0].ended_reason == "manual"
    assert sreq.first_response_due_at == jst(2026, 12, 4, 23, 59, 59)  # Wed, Thu waited


def test_the_api_shows_whom_the_desk_waits_for(world, client):
    sreq, liaison = world["sreq"], world["liaison"]
    start_waiting(sreq, liaison, "municipality", now=jst(2026, 12, 1, 10))
    db.session.commit()
    body = client.get(f"/api/v1/requests/{sreq.id}", headers=bearer(liaison)).get_json()
    assert body["waiting_for"] == "municipality"
    assert datetime.fromisoformat(body["waiting_since"]) == jst(2026, 12, 1, 10)
    listed = client.get("/api/v1/requests", headers=bearer(liaison)).get_json()["items"]
    assert [i["waiting_for"] for i in listed if i["id"] == sreq.id] == ["municipality"]


def test_the_report_leaves_the_wait_out_and_says_so(world, client, login_as):
    sreq, staff, liaison = world["sreq"], world["staff"], world["liaison"]
    start_waiting(sreq, liaison, "municipality", now=jst(2026, 12, 1, 10))
    add_comment(sreq, staff, "回答します", now=jst(2026, 12, 3, 10))        # waited Wed, Thu
    add_comment(sreq, liaison, "承知しました", now=jst(2026, 12, 4, 10))    # first response
    apply_action(sreq, "answer", liaison, now=jst(2026, 12, 4, 11))
    db.session.commit()
    # Mon 30 Nov -> Fri 4 Dec is 4 business days; 2 of them were waiting.
    figures = responsiveness(month_period(2026, 12), None)
    assert figures["first_response"] == {"n": 1, "median": 2, "p90": 2}
    assert figures["resolution"]["median"] == 2
    login_as(make_user("manager"))
    page = client.get("/reports/monthly/2026-12").get_data(as_text=True)
    assert 'data-testid="waiting-note"' in page
    assert "回答待ちの期間を除いて数えています" in page
