"""Real browser: a municipality's 情報部門 marks a colleague as leaving and passes their open
request to the successor in one step; the successor sees the request, now theirs, with the
handover in its history."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from supportdesk.extensions import db
from supportdesk.services.contacts.directory import today_jst
from tests.e2e.helpers import login, logout
from tests.factories import make_request, make_staff

pytestmark = pytest.mark.e2e


def test_info_dept_marks_a_leaver_and_the_successor_takes_the_request(live_app, live_server,
                                                                      browser_page):
    with live_app.app_context():
        info = make_staff("佐用町", info_dept=True, name="佐用 情報")
        leaver = make_staff("佐用町", name="異動 太郎", department="企画課")
        successor = make_staff("佐用町", name="後任 花子", department="企画課")
        sreq = make_request(leaver, title="電子申請システムの導入相談")
        ids = dict(leaver=str(leaver.id), successor=str(successor.id), request=sreq.id)
        emails = info.email, successor.email
        leaves_on = (today_jst() + timedelta(days=30)).isoformat()
        db.session.remove()
    page = browser_page
    login(page, live_server, emails[0])
    page.goto(live_server + "/municipalities/28501/handover")
    expect(page.locator("h1")).to_contain_text("年度替わりの引継ぎ")

    leaving = page.locator("[data-testid=form-leaving]")
    leaving.locator("select").select_option(ids["leaver"])
    leaving.locator("input[type=date]").fill(leaves_on)
    leaving.get_by_role("button", name="登録する").click()
    expect(page.locator(".flash").first).to_contain_text("異動・退職の日を登録しました")
    expect(page.locator(f"[data-user='{ids['leaver']}']")).to_contain_text("申し出 1件")

    passing = page.locator("[data-testid=form-pass]")
    passing.locator("select[name=leaver_id]").select_option(ids["leaver"])
    passing.locator("select[name=successor_id]").select_option(ids["successor"])
    passing.get_by_role("button", name="まとめて引き継ぐ").click()
    expect(page.locator(".flash").first).to_contain_text("後任に引き継ぎました")
    expect(page.locator(f"[data-user='{ids['leaver']}']")).to_contain_text("後任: 後任 花子")

    logout(page)
    login(page, live_server, emails[1])
    page.goto(f"{live_server}/requests/{ids['request']}")
    expect(page.locator("h1")).to_contain_text("電子申請システムの導入相談")
    expect(page.locator("main")).to_contain_text(
        "申し出た職員を 異動 太郎 から 後任 花子 に変更しました")
