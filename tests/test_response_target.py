"""The first-response target and "overdue" have one owner (services/response_target.py): the
queue's 期限超過 filter, the escalation job and the request's due column agree, and the target
comes from configuration per request kind."""
from datetime import datetime

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import OutboxMessage
from supportdesk.services.requests.escalations import escalate_first_responses
from supportdesk.services.requests.response_target import due_status, is_overdue
from supportdesk.timeutil import JST
from tests.factories import make_liaison, make_request, make_staff

MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=JST)      # a plain week: no holiday
LATER = datetime(2026, 12, 7, 10, 0, tzinfo=JST)


@pytest.fixture
def world(app):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨", is_team_lead=True)
    open_one = make_request(staff, title="未対応の相談", now=MONDAY)
    withdrawn = make_request(staff, title="取り下げた相談", now=MONDAY)
    from supportdesk.services.requests.filing import withdraw_request

    withdraw_request(withdrawn, staff, "別の方法で解決しました", now=MONDAY)
    db.session.commit()
    return dict(staff=staff, liaison=liaison, open_one=open_one, withdrawn=withdrawn)


def test_queue_filter_job_and_column_agree_on_overdue(world, client, login_as):
    open_one, withdrawn = world["open_one"], world["withdrawn"]
    assert is_overdue(open_one, LATER) and due_status(open_one, LATER) == ("overdue", 0)
    # A withdrawn request with no first response is not overdue work (the queue filter said it
    # was, the escalation job said it was not).
    assert not is_overdue(withdrawn, LATER) and due_status(withdrawn, LATER) is None
    import time_machine

    with time_machine.travel(LATER, tick=False):
        login_as(world["liaison"])
        page = client.get("/queue/", query_string={"overdue": "1", "state": "all"}).get_data(
            as_text=True)
    assert "未対応の相談" in page and "取り下げた相談" not in page
    assert escalate_first_responses(now=LATER) == 1
    db.session.commit()
    escalated = {m.request_id for m in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "request.escalation"))}
    assert escalated == {open_one.id}


def test_the_target_is_configured_per_kind(make_app):
    app = make_app(FIRST_RESPONSE_BUSINESS_DAYS={"consultation": 1, "lecture": 5,
                                                  "accompaniment": 2})
    with app.app_context():
        staff = make_staff("佐用町")
        consultation = make_request(staff, now=MONDAY)
        lecture = make_request(staff, "lecture", now=MONDAY)
        assert consultation.first_response_due_at.astimezone(JST).date().isoformat() == \
            "2026-12-01"  # Tuesday: 1 business day
        assert lecture.first_response_due_at.astimezone(JST).date().isoformat() == \
            "2026-12-07"  # the next Monday: 5 business days
