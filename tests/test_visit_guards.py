"""Visit rules of issue 13: no confirmation before a liaison takes the request, closed candidate
dates refused at filing, an overlapping tentative visit warned at once, check-ins on business days."""
import html as htmllib
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from supportdesk import calendar_jp
from supportdesk.extensions import db
from supportdesk.models import SupportRequest, Visit
from supportdesk.services import ValidationFailed
from supportdesk.services.visits.engagements import create_engagement, next_checkin_due
from supportdesk.services.visits.lifecycle import (InvalidVisitTransition, can_schedule_lecture,
                                                   confirm_visit, create_visit,
                                                   schedule_from_candidate)
from supportdesk.timeutil import JST
from tests.factories import make_expert, make_liaison, make_request, make_staff, municipality
from tests.test_api import assert_problem, bearer

NOW = datetime(2030, 10, 1, 9, 0, tzinfo=JST)
DAY = datetime(2030, 11, 12, 10, 0, tzinfo=JST)  # a Tuesday, a business day


def proposed(liaison, sreq=None, start=DAY, hours=2, experts=(), title="講座"):
    v = create_visit(liaison, kind="lecture", title=title, starts_at=start,
                     ends_at=start + timedelta(hours=hours),
                     municipalities=[municipality("佐用町")], attendees=list(experts), sreq=sreq,
                     now=NOW)
    db.session.commit()
    return v


# --- A visit is not confirmed on a request no liaison has taken ----------------------------

def test_confirming_on_an_untaken_request_is_refused_and_assigns_nobody(app):
    liaison = make_liaison()
    sreq = make_request(make_staff("佐用町"), "lecture", now=NOW)
    assert sreq.state == "submitted" and sreq.assignee_id is None
    v = proposed(liaison, sreq=sreq)
    with pytest.raises(InvalidVisitTransition) as exc:
        confirm_visit(v, liaison, now=NOW)
    assert "担当" in str(exc.value)
    db.session.rollback()
    v, sreq = db.session.get(Visit, v.id), db.session.get(SupportRequest, sreq.id)
    assert v.state == "proposed" and sreq.state == "submitted" and sreq.assignee_id is None
    # The one-step paths refuse the same way.
    with pytest.raises(InvalidVisitTransition):
        schedule_from_candidate(sreq, sreq.candidate_dates[0], liaison, now=NOW)
    db.session.rollback()
    with pytest.raises(InvalidVisitTransition):
        create_visit(liaison, kind="lecture", title="即確定", starts_at=DAY,
                     ends_at=DAY + timedelta(hours=1), municipalities=[municipality("佐用町")],
                     sreq=db.session.get(SupportRequest, sreq.id), confirm=True, now=NOW)
    db.session.rollback()
    # The request page does not offer to schedule it either, until a liaison takes it.
    sreq = db.session.get(SupportRequest, sreq.id)
    assert not can_schedule_lecture(sreq, liaison)
    taken = make_request(kind="lecture", state="triage", now=NOW,
                         candidate_dates=[(DAY, DAY + timedelta(hours=2)),
                                          (DAY + timedelta(days=1),
                                           DAY + timedelta(days=1, hours=2))])
    assert can_schedule_lecture(taken, liaison)
    confirm_visit(proposed(liaison, sreq=taken), liaison, now=NOW)
    assert taken.state == "scheduled"


def test_confirm_button_on_an_untaken_request_says_why(app, client, login_as):
    liaison = make_liaison()
    sreq = make_request(kind="lecture", state="submitted")
    v = proposed(liaison, sreq=sreq)
    login_as(liaison)
    resp = client.post(f"/visits/{v.id}/confirm", follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "まだリエゾンが担当していない依頼の訪問は確定できません" in page
    db.session.expire_all()
    assert db.session.get(Visit, v.id).state == "proposed"
    assert db.session.get(SupportRequest, sreq.id).assignee_id is None
    # The visit form keeps what was typed and says the same.
    resp = client.post(f"/visits/new?request_id={sreq.id}", data={
        "kind": "lecture", "title": "即時確定の講座", "municipality_ids": [municipality("佐用町").id],
        "starts_at": "2030-11-19T10:00", "ends_at": "2030-11-19T12:00", "confirm_now": "y"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "まだリエゾンが担当していない依頼の訪問は確定できません" in page
    assert 'value="即時確定の講座"' in page
    assert db.session.scalar(sa.select(Visit).where(Visit.title == "即時確定の講座")) is None


def test_api_confirm_on_an_untaken_request_is_a_conflict(app, client):
    liaison = make_liaison()
    sreq = make_request(kind="lecture", state="submitted")
    v = proposed(liaison, sreq=sreq)
    resp = client.post(f"/api/v1/visits/{v.id}/confirm", headers=bearer(liaison, "write"))
    assert_problem(resp, 409)
    assert "まだリエゾンが担当していない" in resp.get_json()["title"]
    db.session.expire_all()
    assert db.session.get(Visit, v.id).state == "proposed"
    assert db.session.get(SupportRequest, sreq.id).state == "submitted"
    # Creating with confirm=true refuses the same way, and leaves no visit behind.
    resp = client.post("/api/v1/visits", headers=bearer(liaison, "write"), json={
        "kind": "lecture", "title": "APIで即確定", "starts_at": "2030-11-19T10:00:00+09:00",
        "ends_at": "2030-11-19T12:00:00+09:00", "municipality_codes": [municipality("佐用町").code],
        "request_id": sreq.id, "confirm": True})
    assert_problem(resp, 409)
    assert db.session.scalar(sa.select(Visit).where(Visit.title == "APIで即確定")) is None
    assert db.session.get(SupportRequest, sreq.id).assignee_id is None


# --- Candidate dates on a closed day are refused at filing ----------------------------------

def lecture_dates(*days):
    return [(datetime.combine(d, datetime.min.time(), JST).replace(hour=14),
             datetime.combine(d, datetime.min.time(), JST).replace(hour=16)) for d in days]


@pytest.mark.parametrize("closed, word", [(date(2030, 11, 4), "振替休日"),
                                          (date(2030, 12, 30), "年末年始")])
def test_filing_service_refuses_a_closed_candidate_date(app, closed, word):
    staff = make_staff("佐用町")
    with pytest.raises(ValidationFailed) as exc:
        make_request(staff, "lecture", now=NOW,
                     candidate_dates=lecture_dates(date(2030, 11, 12), closed))
    assert exc.value.field == "candidate_dates" and word in str(exc.value)
    db.session.rollback()
    # Weekends are not closures of the desk's calendar rule here: a Saturday lecture files.
    sreq = make_request(staff, "lecture", now=NOW,
                        candidate_dates=lecture_dates(date(2030, 11, 12), date(2030, 11, 16)))
    assert sreq.state == "submitted"


def test_filing_form_flags_a_holiday_beside_the_dates_and_keeps_them(app, client, login_as):
    login_as(make_staff("佐用町"))
    data = {"title": "祝日の講座", "program": "kaizen", "body": "紙の申請を減らしたい",
            "candidates-0-day": "2030-11-12", "candidates-0-start": "13:30",
            "candidates-0-end": "16:30",
            "candidates-1-day": "2030-11-04", "candidates-1-start": "09:30",
            "candidates-1-end": "12:00", "submit": "1"}
    resp = client.post("/requests/new/lecture", data=data)
    page = htmllib.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200
    fieldset = page[page.index('id="candidates"'):page.index("</fieldset>", page.index('id="candidates"'))]
    assert "2030-11-04(月)は祝日(文化の日 振替休日)です" in fieldset
    assert 'value="2030-11-04"' in fieldset and 'value="祝日の講座"' in page
    assert db.session.scalar(sa.select(SupportRequest).where(
        SupportRequest.title == "祝日の講座")) is None


def test_editing_keeps_a_closed_date_already_on_the_request(app):
    """The rule is for dates being proposed: a date accepted earlier is not refused on edit."""
    from supportdesk.services.requests.filing import update_request

    staff = make_staff("佐用町")
    sreq = make_request(staff, "lecture", now=NOW,
                        candidate_dates=lecture_dates(date(2030, 11, 12), date(2030, 11, 13)))
    with pytest.raises(ValidationFailed):
        update_request(sreq, staff, version=sreq.version, now=NOW,
                       candidate_dates=lecture_dates(date(2030, 11, 12), date(2031, 1, 2)))
    db.session.rollback()
    sreq = db.session.get(SupportRequest, sreq.id)
    update_request(sreq, staff, version=sreq.version, now=NOW, title="件名だけ変更",
                   candidate_dates=[(c.starts_at, c.ends_at) for c in sreq.candidate_dates])
    assert sreq.title == "件名だけ変更"


# --- An overlapping tentative visit warns at once -------------------------------------------

def test_overlapping_tentative_visit_is_created_with_a_warning(app, client, login_as):
    liaison, expert = make_liaison(name="山田リエゾン"), make_expert(name="鈴木専門")
    confirmed = proposed(liaison, experts=[expert], title="確定済みの講座")
    confirm_visit(confirmed, liaison, now=NOW)
    db.session.commit()
    login_as(liaison)
    data = {"kind": "meeting", "title": "重なる打合せ", "municipality_ids": [municipality("佐用町").id],
            "starts_at": "2030-11-12T11:00", "ends_at": "2030-11-12T13:00",
            "attendee_ids": [expert.id]}
    resp = client.post("/visits/new", data=data, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "訪問の候補を登録しました" in page
    assert "flash-warning" in page and "日程が重複しています" in page
    assert "確定済みの講座" in page and "鈴木専門" in page
    created = db.session.scalar(sa.select(Visit).where(Visit.title == "重なる打合せ"))
    assert created.state == "proposed"
    # Touching end to start is not an overlap: no warning.
    data.update(title="後の打合せ", starts_at="2030-11-12T12:00", ends_at="2030-11-12T13:00")
    page = client.post("/visits/new", data=data, follow_redirects=True).get_data(as_text=True)
    assert "訪問の候補を登録しました" in page and "日程が重複しています" not in page


# --- Engagement check-ins fall on business days ---------------------------------------------

def test_next_business_day():
    assert calendar_jp.next_business_day(date(2030, 11, 12)) == date(2030, 11, 12)
    assert calendar_jp.next_business_day(date(2030, 11, 2)) == date(2030, 11, 5)  # Sat→(Mon 振休)→Tue
    assert calendar_jp.next_business_day(date(2030, 12, 28)) == date(2031, 1, 6)


@pytest.mark.parametrize("starts_on, cadence, due", [
    (date(2030, 10, 21), 14, date(2030, 11, 5)),   # 11/4 is 振替休日: Tuesday
    (date(2030, 12, 16), 14, date(2031, 1, 6)),    # 12/30: the year-end closure, then Monday
    (date(2030, 10, 22), 14, date(2030, 11, 5)),   # a plain business day stays
])
def test_next_check_in_moves_off_closed_days(app, starts_on, cadence, due):
    eng = create_engagement(make_liaison(), municipality=municipality("佐用町"), title="伴走",
                            cadence_days=cadence,
                            now=datetime.combine(starts_on, datetime.min.time(), JST))
    db.session.commit()
    assert next_checkin_due(eng) == due
    assert calendar_jp.is_business_day(next_checkin_due(eng))
