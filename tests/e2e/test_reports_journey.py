"""Browser journey: a manager opens last month's report, follows a figure to its requests and
downloads the XLSX."""
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from supportdesk.extensions import db
from supportdesk.services.reports.figures import previous_month
from supportdesk.timeutil import JST, utcnow
from tests.factories import PASSWORD, make_request, make_staff, make_user

pytestmark = pytest.mark.e2e


def test_manager_reads_last_months_report(live_app, live_server, browser_page):
    today = utcnow().astimezone(JST)
    year, month = previous_month(today.year, today.month)
    ym = f"{year:04d}-{month:02d}"
    with live_app.app_context():
        manager = make_user("manager", email="manager@pref.example.jp")
        staff = make_staff("佐用町")
        at = datetime(year, month, 10, 10, tzinfo=JST)
        numbers = []
        for i in range(2):
            sreq = make_request(staff, title=f"先月の相談{i}", now=at + timedelta(hours=i))
            numbers.append(sreq.number)
        db.session.commit()
        email = manager.email
    page = browser_page
    page.goto(f"{live_server}/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("link", name=f"先月の月次報告 ({ym})").click()
    page.wait_for_url(f"**/reports/monthly/{ym}")
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"月次報告 {ym}")
    # The 新規受付 figure is a link to the requests behind it.
    row = page.get_by_role("row", name="新規受付")
    row.get_by_role("link", name="2").click()
    page.wait_for_url("**/requests?figure=new*")
    body = page.locator("main").inner_text()
    assert all(n in body for n in numbers)
    page.go_back()
    with page.expect_download() as download_info:
        page.get_by_test_id("xlsx").click()
    download = download_info.value
    with open(download.path(), "rb") as fh:
        data = fh.read()
    ws = load_workbook(io.BytesIO(data)).active
    values = {r[1]: r[2] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert values["新規受付"] == 2
    assert download.suggested_filename == f"monthly-report-{ym}.xlsx"
