"""Real browser: a liaison publishes a course needing approval with one seat; a staff member of
佐用町 applies, the town's 情報部門 hears it, approves it on the training page and the
applicant finds the seat confirmed; a second applicant, approved too, goes on the waiting list."""
from datetime import timedelta

import pytest

from supportdesk.extensions import db
from supportdesk.timeutil import JST, utcnow
from tests.e2e.helpers import login, logout
from tests.factories import make_liaison, make_staff

pytestmark = pytest.mark.e2e


def apply(page, course_url, note):
    page.goto(course_url)
    page.fill("#note", note)
    page.click("[data-testid=apply]")
    page.wait_for_selector("text=情報部門の承認をお待ちください")
    assert page.text_content("[data-testid=my-status] .badge").strip() == "承認待ち"


def test_staff_apply_and_the_information_department_approves(live_app, live_server, browser_page):
    base, page = live_server, browser_page
    with live_app.app_context():
        emails = [u.email for u in (
            make_liaison("西播磨", name="播磨 リエゾン"), make_staff("佐用町", name="佐用 一"),
            make_staff("佐用町", info_dept=True, name="佐用 情報"),
            make_staff("佐用町", name="佐用 二"))]
        db.session.remove()
    today = utcnow().astimezone(JST).date()

    login(page, base, emails[0])
    page.goto(base + "/training")
    page.click("[data-testid=new-course]")
    page.fill("#title", "データ利活用 基礎研修")
    page.fill("#description", "EBPMの基礎とExcelでの集計を演習で学びます。")
    page.fill("#starts_on", (today + timedelta(days=30)).isoformat())
    page.fill("#ends_on", (today + timedelta(days=30)).isoformat())
    page.fill("#capacity", "1")
    page.fill("#apply_by", (today + timedelta(days=10)).isoformat())
    page.select_option("#municipality_ids", label=["佐用町"])
    page.click("[data-testid=save-course]")
    page.wait_for_selector("text=研修を作成しました。")
    page.click("[data-testid=publish-course]")
    page.wait_for_selector("text=研修を公開しました。")
    course_url = page.url
    logout(page)

    login(page, base, emails[1])
    page.goto(base + "/training")
    page.click("text=データ利活用 基礎研修")
    apply(page, course_url, "集計業務を効率化したい")
    logout(page)

    login(page, base, emails[2])
    page.goto(base + "/notifications")
    assert "【研修】受講申込 データ利活用 基礎研修" in page.text_content("main")
    page.goto(base + "/training")
    row = page.locator("[data-testid=approval-row]")
    assert row.count() == 1 and "佐用 一" in row.inner_text()
    row.locator("[data-testid=approve]").click()
    page.wait_for_selector("text=承認しました。受講が決まりました。")
    assert page.locator("[data-testid=approval-row]").count() == 0
    logout(page)

    login(page, base, emails[1])
    page.goto(course_url)
    assert page.text_content("[data-testid=my-status] .badge").strip() == "受講決定"
    page.goto(base + "/notifications")
    assert "受講決定" in page.text_content("main")
    logout(page)

    login(page, base, emails[3])
    apply(page, course_url, "")
    logout(page)
    login(page, base, emails[2])
    page.goto(course_url)
    page.locator("[data-testid=application-row]", has_text="佐用 二").locator(
        "[data-testid=approve]").click()
    page.wait_for_selector("text=定員に達しているため、キャンセル待ちになりました。")
    statuses = page.locator("[data-testid=application-status]").all_inner_texts()
    assert sorted(s.strip() for s in statuses) == ["キャンセル待ち", "受講決定"]
