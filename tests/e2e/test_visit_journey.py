"""Browser journey: a liaison confirms a lecture date from the municipality's candidates, the
expert sees it on the calendar, the liaison records the visit and an accompaniment follow-up,
and the municipal filer rates it.
The liaison starts from the request page's scheduling link. Browser fixtures are the shared
ones of tests/e2e/conftest.py; data is seeded in short app contexts that commit, so no
transaction of the test holds the SQLite write lock while the browser works.
"""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Engagement, SatisfactionResponse, Visit
from supportdesk.services.visits.jobs import request_satisfaction_due
from supportdesk.timeutil import JST, utcnow
from tests.e2e.helpers import login, logout, rate_visit, write_visit_record
from tests.factories import make_expert, make_liaison, make_request

pytestmark = pytest.mark.e2e


def test_lecture_from_candidates_to_rating(live_app, live_server, browser_page):
    base, page = live_server, browser_page
    # The municipality's candidates lie just behind us, so the lecture can be recorded today.
    day = (utcnow() - timedelta(days=2)).astimezone(JST).date()
    first = datetime(day.year, day.month, day.day, 10, tzinfo=JST)
    second = first + timedelta(days=1)
    with live_app.app_context():
        liaison = make_liaison(name="西播磨リエゾン")
        expert = make_expert(name="鈴木専門")
        sreq = make_request(kind="lecture", state="triage", title="RPA入門講座", venue="佐用町役場",
                            candidate_dates=[(first, first + timedelta(hours=2)),
                                              (second, second + timedelta(hours=2))])
        liaison_email, expert_email, expert_id = liaison.email, expert.email, expert.id
        filer_email, filer_id, sreq_id = sreq.filer.email, sreq.filer_id, sreq.id
        db.session.commit()

    login(page, base, liaison_email)
    page.goto(f"{base}/requests/{sreq_id}")
    page.click("[data-testid=schedule-lecture]")
    page.wait_for_url(f"**/visits/schedule/{sreq_id}")
    page.check("[data-testid=candidate-2]")
    page.check(f"#attendee_ids input[value=\"{expert_id}\"]")  # checkboxes, no Ctrl-click
    page.click("text=この日程で確定する")
    page.wait_for_selector("text=訪問を確定しました")
    assert page.inner_text("[data-testid=visit-state]") == "確定"
    visit_url = page.url
    logout(page)

    login(page, base, expert_email)
    page.goto(f"{base}/calendar/?view=month&date={second.date().isoformat()}")
    cell = page.locator(f'td[data-date="{second.date().isoformat()}"]')
    assert "RPA入門講座" in cell.inner_text()
    cell.locator("a", has_text="RPA入門講座").click()
    page.wait_for_selector("[data-testid=visit-when]")
    assert "10:00〜12:00" in page.inner_text("[data-testid=visit-when]")
    logout(page)

    login(page, base, liaison_email)
    write_visit_record(page, visit_url, attendees_executives=2, attendees_business=15,
                       covered="RPAの基礎とデモ", issues="担当者が一人しかいない",
                       follow_ups="伴走支援で3業務を自動化")
    assert page.inner_text("[data-testid=visit-state]") == "実施済"
    page.click("text=フォローアップを登録")
    page.check("input[name=target][value=engagement]")
    page.fill("#title", "RPA導入の伴走支援")
    page.fill("#cadence_days", "30")
    page.click("button.primary")
    page.wait_for_selector("[data-testid=next-due]")
    assert "RPA導入の伴走支援" in page.inner_text("h1")
    logout(page)

    # The scheduler's job asks the filer for a rating (an in-app link to the form).
    with live_app.app_context():
        assert request_satisfaction_due(utcnow()) == 1
        db.session.commit()

    login(page, base, filer_email)
    rate_visit(page, visit_url, 5, "具体的で分かりやすかった")
    assert "5/5" in page.inner_text("[data-testid=satisfaction]")

    # The request page lists the held visit.
    page.goto(f"{base}/requests/{sreq_id}")
    assert "RPA入門講座" in page.inner_text("[data-testid=request-visits]")

    with live_app.app_context():
        visit = db.session.scalar(sa.select(Visit).where(Visit.request_id == sreq_id))
        assert visit.state == "held" and visit.starts_at == second
        assert visit.sreq.state == "delivered"
        eng = db.session.scalar(sa.select(Engagement))
        assert eng.lecture_visit_id == visit.id and [u.id for u in eng.experts] == [expert_id]
        answer = db.session.scalar(sa.select(SatisfactionResponse))
        assert (answer.rating, answer.respondent_id) == (5, filer_id)
        db.session.rollback()
