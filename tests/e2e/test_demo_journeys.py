"""Browser journeys on the seeded demo desk (the data `run.py demo` serves): each role does its
main job on that data in Chromium.

- municipal staff file each kind (相談, 出前講座 with two candidate dates and a co-applicant
  municipality, 伴走支援 from one of their finished requests) and follow it; when someone
  outside the 情報部門 files, the 情報部門 of the same municipality is told;
- a liaison takes a new lecture from the queue, replies, records a support action, asks an
  expert, who accepts; the liaison fixes the date from the candidates; after the lecture the
  expert writes the record and the municipality rates it;
- the manager opens last month's report and downloads it as CSV and XLSX.
"""
import csv
import io
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import expect

from supportdesk.calendar_jp import add_business_days
from supportdesk.demo import DEMO_SEEDERS
from supportdesk.demo.requests import GENAI_LECTURE
from supportdesk.demo.users import DEMO_PASSWORD
from supportdesk.extensions import db
from supportdesk.models import SatisfactionResponse, SupportRequest, User, Visit
from supportdesk.services.reports import previous_month
from supportdesk.services.visit_jobs import request_satisfaction_due
from supportdesk.timeutil import JST, utcnow
from tests.e2e.helpers import login as _login
from tests.e2e.helpers import logout, rate_visit, write_visit_record

pytestmark = pytest.mark.e2e

SAYO_INFO = "sayo.joho@demo.example.jp"       # 佐用町, 情報部門
SAYO_WELFARE = "sayo.fukushi@demo.example.jp"  # 佐用町, not 情報部門
LIAISON = "liaison.nishiharima@demo.example.jp"
EXPERT2 = "expert2@demo.example.jp"            # カイゼン・ノーコード
MANAGER = "manager@demo.example.jp"


def seed_demo(live_app):
    """The demo data, seeded by the same ordered seeders as `flask seed --demo`."""
    with live_app.app_context():
        for seeder in DEMO_SEEDERS:
            seeder()
            db.session.commit()


def login(page, base, email):
    _login(page, base, email, password=DEMO_PASSWORD)


def candidate_days():
    today = utcnow().astimezone(JST).date()
    return add_business_days(today, 8), add_business_days(today, 12)


def file_lecture(page, base, title, *, co_municipality=None, days=None):
    """Fill the 出前講座 form like a person: menu, format, theme, two candidate dates."""
    page.goto(f"{base}/requests/new")
    page.click("[data-testid=kind-lecture]")
    page.fill("#title", title)
    page.select_option("#program", "kaizen")
    page.check("input[name=formats][value=lecture]")
    for i, day in enumerate(days or candidate_days()):
        page.fill(f"#candidates-{i}-day", day.isoformat())
        page.fill(f"#candidates-{i}-start", "13:30")
        page.fill(f"#candidates-{i}-end", "16:30")
    if co_municipality:
        page.select_option("#co_municipality_ids", label=co_municipality)
    page.fill("#body", "窓口の受付簿をノーコードツールで置き換える演習を希望します。")
    page.check("input[name=theme_ids] >> nth=0")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=request-number]")
    expect(page.locator("[data-testid=state]")).to_have_text("受付")
    return page.text_content("[data-testid=request-number]").strip()


def request_id_of(live_app, number):
    with live_app.app_context():
        sreq_id = db.session.scalar(sa.select(SupportRequest.id)
                                    .where(SupportRequest.number == number))
        db.session.rollback()
    return sreq_id


def test_staff_file_each_kind_and_the_info_dept_hears_of_it(live_app, live_server, browser_page):
    seed_demo(live_app)
    base, page = live_server, browser_page
    with live_app.app_context():
        parent_id = db.session.scalar(sa.select(SupportRequest.id)
                                      .where(SupportRequest.title == GENAI_LECTURE))
        db.session.rollback()

    # 健康福祉課 files a consultation from the home page's intake link.
    login(page, base, SAYO_WELFARE)
    page.goto(f"{base}/requests/new")
    page.click("[data-testid=kind-consultation]")
    page.fill("#title", "介護保険の申請をオンラインで受け付けたい")
    page.fill("#body", "窓口と郵送だけで受け付けている申請を電子申請にしたい。")
    page.check("input[name=help_wanted] >> nth=0")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=request-number]")
    consultation = page.text_content("[data-testid=request-number]").strip()
    assert consultation.startswith("R")
    expect(page.locator("[data-testid=state]")).to_have_text("受付")
    # Following it: the filer's list shows it with its state.
    page.goto(f"{base}/requests/mine")
    expect(page.locator("main")).to_contain_text(consultation)
    logout(page)

    # The 情報部門 of the same town is told of the share, and can open the request.
    login(page, base, SAYO_INFO)
    page.goto(f"{base}/notifications")
    shared = page.locator("[data-testid=notification]", has_text=consultation)
    expect(shared.first).to_be_visible()
    page.goto(f"{base}/requests/{request_id_of(live_app, consultation)}")
    expect(page.locator("#history")).to_contain_text("情報部門に共有しました")

    # The 情報部門 files a joint lecture with 上郡町 and an accompaniment of a held lecture.
    lecture = file_lecture(page, base, "カイゼンDX講座の合同開催(佐用町・上郡町)",
                           co_municipality="上郡町")
    expect(page.locator("main")).to_contain_text("上郡町")
    page.goto(f"{base}/requests/new")
    page.click("[data-testid=kind-accompaniment]")
    page.select_option("#parent_id", str(parent_id))
    page.fill("#title", "生成AI利用ガイドライン策定の伴走支援")
    page.fill("#body", "講座の後、庁内の利用ガイドラインを年度内にまとめたい。")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=request-number]")
    accompaniment = page.text_content("[data-testid=request-number]").strip()
    page.goto(f"{base}/requests/mine")
    for number in (consultation, lecture, accompaniment):
        expect(page.locator("main")).to_contain_text(number)

    with live_app.app_context():
        rows = {s.number: s for s in db.session.scalars(sa.select(SupportRequest).where(
            SupportRequest.number.in_((consultation, lecture, accompaniment))))}
        assert {rows[n].kind for n in rows} == {"consultation", "lecture", "accompaniment"}
        assert rows[consultation].filed_outside_info_dept
        info = db.session.scalar(sa.select(User).where(User.email == SAYO_INFO))
        assert info in rows[consultation].followers
        assert [m.name for m in rows[lecture].co_municipalities] == ["上郡町"]
        assert len(rows[lecture].candidate_dates) == 2
        assert rows[accompaniment].parent_id == parent_id
        # The numbers follow the demo's, in one sequence.
        numbers = list(db.session.scalars(sa.select(SupportRequest.number)
                                          .where(SupportRequest.number.is_not(None))))
        assert len(numbers) == len(set(numbers))
        db.session.rollback()


def test_liaison_works_a_lecture_expert_records_it_staff_rate_it(live_app, live_server,
                                                                  browser_page):
    seed_demo(live_app)
    base, page = live_server, browser_page
    first_day, _second = candidate_days()
    with live_app.app_context():
        expert_id = db.session.scalar(sa.select(User.id).where(User.email == EXPERT2))
        db.session.rollback()

    login(page, base, SAYO_INFO)
    title = "税務課向けカイゼンDX講座(申告書の入力)"
    number = file_lecture(page, base, title)
    sreq_id = request_id_of(live_app, number)
    logout(page)

    # The liaison's home is the queue: the new lecture is there; taking it starts 調整中.
    login(page, base, LIAISON)
    page.click(f"tr:has-text('{number}') >> a:has-text('{title}')")
    page.wait_for_url(f"**/requests/{sreq_id}")
    page.click("[data-testid=action-triage] button")
    expect(page.locator("[data-testid=state]")).to_have_text("調整中")
    page.fill("#body", "ご依頼ありがとうございます。講師の日程を調整します。")
    page.click("[data-testid=send-comment]")
    page.wait_for_selector("text=返信を送りました。")
    page.select_option("#kind", "advice")
    page.fill("#note", "入力項目の整理を事前ワークとして依頼")
    page.click("#support button[type=submit]")
    page.wait_for_selector("text=支援の記録を追加しました。")
    page.check(f"input[name=expert_ids][value='{expert_id}']")
    page.click("text=選んだ人材に派遣を依頼")
    expect(page.locator("[data-testid=assignments]")).to_contain_text("民間採用 次郎")
    logout(page)

    # The expert accepts from their home page (担当依頼).
    login(page, base, EXPERT2)
    card = page.locator("[data-testid=assignment]", has_text=title)
    card.locator("select").select_option("accept")
    card.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=assignment]", has_text=title)).to_contain_text("引受済")
    logout(page)

    # The liaison fixes the first candidate date with the expert.
    login(page, base, LIAISON)
    page.goto(f"{base}/requests/{sreq_id}")
    page.click("[data-testid=schedule-lecture]")
    page.wait_for_url(f"**/visits/schedule/{sreq_id}")
    page.check("[data-testid=candidate-1]")
    page.check(f"#attendee_ids input[value=\"{expert_id}\"]")  # checkboxes, no Ctrl-click
    page.click("text=この日程で確定する")
    page.wait_for_selector("text=訪問を確定しました")
    visit_url = page.url
    page.goto(f"{base}/requests/{sreq_id}")
    expect(page.locator("[data-testid=state]")).to_have_text("日程確定")
    logout(page)

    # The day after the lecture: the expert writes the record, the municipality rates it.
    after = datetime.combine(first_day + timedelta(days=1), time(10), tzinfo=JST)
    with time_machine.travel(after, tick=True):
        login(page, base, EXPERT2)
        write_visit_record(page, visit_url, attendees_business=18,
                           covered="申告書の入力をノーコードアプリに置き換える演習",
                           issues="マスタの整備が必要", follow_ups="本番運用に向けた伴走支援を案内")
        expect(page.locator("[data-testid=visit-state]")).to_have_text("実施済")
        logout(page)

        with live_app.app_context():
            assert request_satisfaction_due(utcnow()) >= 1
            db.session.commit()

        login(page, base, SAYO_INFO)
        rate_visit(page, visit_url, 5, "演習が実務に直結していました")
        expect(page.locator("[data-testid=satisfaction]")).to_contain_text("5/5")
        page.goto(f"{base}/requests/{sreq_id}")
        expect(page.locator("[data-testid=state]")).to_have_text("実施済")

    with live_app.app_context():
        visit = db.session.scalar(sa.select(Visit).where(Visit.request_id == sreq_id))
        assert visit.state == "held" and visit.record.covered.startswith("申告書")
        assert visit.sreq.state == "delivered" and visit.sreq.assignee.email == LIAISON
        answer = db.session.scalar(sa.select(SatisfactionResponse)
                                   .where(SatisfactionResponse.visit_id == visit.id))
        assert answer.rating == 5
        db.session.rollback()


def test_manager_downloads_last_months_report(live_app, live_server, browser_page):
    seed_demo(live_app)
    base, page = live_server, browser_page
    today = utcnow().astimezone(JST)
    year, month = previous_month(today.year, today.month)
    ym = f"{year:04d}-{month:02d}"

    login(page, base, MANAGER)
    page.get_by_role("link", name=f"先月の月次報告 ({ym})").click()
    page.wait_for_url(f"**/reports/monthly/{ym}")
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"月次報告 {ym}")
    new_figure = page.get_by_role("row", name="新規受付").locator("td").first.inner_text()

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert csv_download.value.suggested_filename == f"monthly-report-{ym}.csv"
    with open(csv_download.value.path(), encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) > 5 and any("新規受付" in row for row in rows)

    with page.expect_download() as xlsx_download:
        page.get_by_test_id("xlsx").click()
    assert xlsx_download.value.suggested_filename == f"monthly-report-{ym}.xlsx"
    with open(xlsx_download.value.path(), "rb") as fh:
        ws = load_workbook(io.BytesIO(fh.read())).active
    values = {r[1]: r[2] for r in ws.iter_rows(min_row=3, values_only=True)}
    # The demo's requests of last month are counted, and the file agrees with the page.
    assert values["新規受付"] >= 1
    assert str(values["新規受付"]) in new_figure
