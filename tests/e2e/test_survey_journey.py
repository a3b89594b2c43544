"""Real browser: a liaison builds a survey for two municipalities and opens it; one answers at
once, the other only after the reminder job has reminded it; the liaison downloads the XLSX and
finds both answers in it."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from supportdesk.calendar_jp import add_business_days
from supportdesk.extensions import db
from supportdesk.services.surveys.notices import send_survey_notices
from supportdesk.timeutil import JST, utcnow
from tests.e2e.helpers import login, logout
from tests.factories import make_liaison, make_staff

pytestmark = pytest.mark.e2e


def answer(page, base, survey_url, number, choice):
    page.goto(survey_url)
    page.fill("[data-testid=question-1] input", number)
    page.check(f"[data-testid=question-2] input[value='{choice}']")
    page.click("[data-testid=submit-answer]")
    page.wait_for_selector("text=回答を提出しました。")
    assert page.text_content("[data-testid=answer-status]").strip() == "回答済"


def test_survey_from_building_to_the_xlsx_of_answers(live_app, live_server, browser_page):
    base, page = live_server, browser_page
    with live_app.app_context():
        liaison = make_liaison("西播磨", "中播磨", name="播磨 リエゾン")
        sayo = make_staff("佐用町", info_dept=True, name="佐用 情報")
        kamikawa = make_staff("神河町", info_dept=True, name="神河 情報")
        emails = liaison.email, sayo.email, kamikawa.email
        db.session.remove()
    today = utcnow().astimezone(JST).date()
    deadline = add_business_days(today, 3)  # the reminder (3 business days before) is due now

    login(page, base, emails[0])
    page.goto(base + "/surveys")
    page.click("[data-testid=new-survey]")
    page.fill("#title", "DX人材の配置状況調査")
    page.fill("#purpose", "各市町のDX担当職員数とCIOの任命状況を把握するため。")
    page.fill("#deadline", deadline.isoformat())
    page.fill("#reminder_days", "3")
    page.select_option("#municipality_ids", label=["佐用町", "神河町"])
    page.click("[data-testid=save-survey]")
    page.wait_for_selector("text=調査を作成しました。")
    survey_url = page.url
    page.select_option("#kind", "number")
    page.fill("#label", "DX担当職員数(人)")
    page.check("#required")
    page.click("[data-testid=save-question]")
    page.wait_for_selector("text=質問を追加しました。")
    page.select_option("#kind", "single_choice")
    page.fill("#label", "CIOを任命していますか")
    page.fill("#options", "はい\nいいえ")
    page.click("[data-testid=save-question]")
    page.wait_for_selector("[data-testid=question-item] >> nth=1")
    page.click("[data-testid=survey-open]")
    page.wait_for_selector("text=調査を開始し、対象の市町に通知しました。")
    assert page.locator("[data-testid=status-row]").count() == 2
    logout(page)

    login(page, base, emails[1])
    page.goto(survey_url)
    page.fill("[data-testid=question-1] input", "三人")  # refused, kept beside the field
    page.click("[data-testid=submit-answer]")
    page.wait_for_selector("text=数値を半角で入力してください。")
    assert page.input_value("[data-testid=question-1] input") == "三人"
    answer(page, base, survey_url, "3", "はい")
    logout(page)

    with live_app.app_context():
        assert send_survey_notices(now=utcnow())["reminders"] == 1  # 神河町 only
        db.session.commit()

    login(page, base, emails[2])
    page.goto(base + "/notifications")
    assert "調査・照会 回答期限のお知らせ】DX人材の配置状況調査" in page.text_content("main")
    answer(page, base, survey_url, "2", "いいえ")
    logout(page)

    login(page, base, emails[0])
    page.goto(survey_url)
    rows = page.locator("[data-testid=status-row]")
    assert [rows.nth(i).locator("td").nth(2).inner_text() for i in range(2)] == ["回答済"] * 2
    with page.expect_download() as download:
        page.click("[data-testid=export-xlsx]")
    with open(download.value.path(), "rb") as fh:
        wb = load_workbook(io.BytesIO(fh.read()))
    rows = {r[1]: r[4:] for r in wb["回答"].iter_rows(min_row=3, values_only=True)}
    assert rows == {"佐用町": ("3", "はい"), "神河町": ("2", "いいえ")}
    assert deadline - today <= timedelta(days=10)
