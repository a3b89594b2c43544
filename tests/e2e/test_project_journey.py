"""Real browser: a municipality joins a joint project (この指とまれ) from the project list, and the
manager sees it in the report of participants per region and per project."""
from datetime import timedelta

import pytest

from supportdesk.extensions import db
from supportdesk.services.projects.building import create_project, open_project
from supportdesk.services.projects.service_kinds import set_service_kinds
from supportdesk.timeutil import JST, fiscal_year, utcnow
from tests.e2e.helpers import login, logout
from tests.factories import make_liaison, make_staff, make_user, municipality

pytestmark = pytest.mark.e2e


def test_a_municipality_joins_and_the_manager_sees_it_in_the_report(live_app, live_server,
                                                                    browser_page):
    base, page = live_server, browser_page
    today = utcnow().astimezone(JST).date()
    with live_app.app_context():
        liaison = make_liaison("西播磨", central=True)
        sayo = make_staff("佐用町", info_dept=True, name="佐用 水道")
        manager = make_user("manager", name="県 マネージャー")
        set_service_kinds(liaison, {municipality(n).id: {"water"} for n in ("佐用町", "神河町")})
        project = create_project(
            liaison, title="衛星データを活用した漏水調査", purpose="衛星画像のAI解析で漏水を絞り込む。",
            fiscal_year=fiscal_year(today), eligibility="service_kinds", region_ids=[],
            service_kinds=["water"], join_deadline=today + timedelta(days=10), cost_kind="fixed",
            cost_fixed_yen=1_200_000, cost_base_yen=None, cost_per_capita_yen=None,
            funding_name="デジタル田園都市国家構想交付金", subsidy_rate_num=1, subsidy_rate_den=2,
            contract_note="県が一括で委託契約", coordinator="市町振興課")
        open_project(project, liaison)
        db.session.commit()
        emails = sayo.email, manager.email
        db.session.remove()

    login(page, base, emails[0])
    page.click("nav >> text=共同事業")
    page.click("text=衛星データを活用した漏水調査")
    assert "600,000円" in page.text_content("#costs")  # its share after the 1/2 subsidy
    page.check("input[name=answer][value=join]")
    page.fill("#contact", "佐用町 上下水道課 山田 0790-00-0000")
    page.click("[data-testid=save-answer]")
    page.wait_for_selector("text=回答を保存しました。")
    assert page.text_content("[data-testid=my-answer-value]").strip() == "参加"
    logout(page)

    login(page, base, emails[1])
    page.goto(base + "/projects")
    page.click("[data-testid=project-report-link]")
    row = page.locator("[data-testid=project-report-row]", has_text="衛星データを活用した漏水調査")
    assert row.locator("[data-testid=joined]").text_content().strip() == "1"
    west = page.locator("[data-testid=region-row]", has_text="西播磨")
    assert west.locator("[data-testid=taking-part]").text_content().strip() == "1"
