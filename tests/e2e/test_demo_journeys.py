"""Browser journeys on the seeded demo desk (the data `run.py demo` serves): each role does its
main job on that data in Chromium.

- municipal staff file each kind (相談, 出前講座 with two candidate dates and a co-applicant
  municipality, 伴走支援 from one of their finished requests) and follow it; when someone
  outside the 情報部門 files, the 情報部門 of the same municipality is told;
- a liaison takes a new lecture from the queue, replies, records a support action, asks an
  expert, who accepts; the liaison fixes the date from the candidates; after the lecture the
  expert writes the record and the municipality rates it;
- the manager opens last month's report and downloads it as CSV and XLSX.

Each journey runs twice on Hyogo's demo: with the mouse, and with the keyboard alone
(tests/e2e/helpers.Input: Tab to each control, keys to work it, a visible focus on every stop,
pages opened by links); and once more, with the mouse, on Nagano's demo (the same demo cast onto
the second pack, seeded once for the module; its names come from the cast).
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
from supportdesk.demo.cast import cast_for
from supportdesk.demo.requests import GENAI_LECTURE
from supportdesk.demo.users import DEMO_PASSWORD
from supportdesk.extensions import db
from supportdesk.models import SatisfactionResponse, SupportRequest, User, Visit
from supportdesk.services.packs import load_pack
from supportdesk.services.reports.figures import previous_month
from supportdesk.services.visits.jobs import request_satisfaction_due
from supportdesk.timeutil import JST, utcnow
from tests.e2e.helpers import (Input, logout, menu_link, rate_visit, seed_demo,
                              write_visit_record)
from tests.e2e.helpers import login as _login

pytestmark = pytest.mark.e2e

SAYO_INFO = "sayo.joho@demo.example.jp"       # 佐用町, 情報部門
SAYO_WELFARE = "sayo.fukushi@demo.example.jp"  # 佐用町, not 情報部門
LIAISON = "liaison.nishiharima@demo.example.jp"
EXPERT2 = "expert2@demo.example.jp"            # カイゼン・ノーコード
MANAGER = "manager@demo.example.jp"


# (pack, input mode): Hyogo's demo with each mode, Nagano's with the mouse.
JOURNEYS = [("hyogo", mode) for mode in Input.MODES] + [("nagano", "mouse")]


@pytest.fixture(params=JOURNEYS, ids=[m if p == "hyogo" else f"{p}-{m}" for p, m in JOURNEYS])
def journey(request):
    return request.param


@pytest.fixture
def live_app(make_app, journey, pack_demo_config):
    """The served desk: Hyogo's, seeded by each test; another pack's, seeded once per module."""
    pack, _mode = journey
    if pack == "hyogo":
        return make_app(WTF_CSRF_ENABLED=True)
    app = make_app(WTF_CSRF_ENABLED=True, **pack_demo_config(pack))
    app.demo_pack = pack
    return app


@pytest.fixture
def inp(journey, browser_page):
    """The journey's hands: the mouse, or the keyboard alone."""
    return Input(browser_page, journey[1])


def demo_of(live_app):
    """Seed the demo (Hyogo's: the other packs' is seeded already) and return its cast."""
    pack = getattr(live_app, "demo_pack", "hyogo")
    if pack == "hyogo":
        seed_demo(live_app)
    return cast_for(pack)


def login(inp, base, email):
    _login(inp.page, base, email, password=DEMO_PASSWORD, inp=inp)


def candidate_days():
    today = utcnow().astimezone(JST).date()
    return add_business_days(today, 8), add_business_days(today, 12)


def file_lecture(inp, base, title, *, co_municipality=None, days=None):
    """Fill the 出前講座 form like a person: menu, format, theme, two candidate dates."""
    page = inp.page
    inp.visit(f"{base}/requests/new", menu_link(page, "新規相談"))
    inp.follow("[data-testid=kind-lecture]")
    inp.fill("#title", title)
    inp.select("#program", "kaizen")
    inp.check("input[name=formats][value=lecture]")
    for i, day in enumerate(days or candidate_days()):
        inp.fill(f"#candidates-{i}-day", day.isoformat())
        inp.fill(f"#candidates-{i}-start", "13:30")
        inp.fill(f"#candidates-{i}-end", "16:30")
    if co_municipality:
        inp.select("#co_municipality_ids", label=co_municipality)
    inp.fill("#body", "窓口の受付簿をノーコードツールで置き換える演習を希望します。")
    inp.check("input[name=theme_ids] >> nth=0")
    inp.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=request-number]")
    expect(page.locator("[data-testid=state]")).to_have_text("受付")
    return page.text_content("[data-testid=request-number]").strip()


def request_id_of(live_app, number):
    with live_app.app_context():
        sreq_id = db.session.scalar(sa.select(SupportRequest.id)
                                    .where(SupportRequest.number == number))
        db.session.rollback()
    return sreq_id


def test_staff_file_each_kind_and_the_info_dept_hears_of_it(live_app, live_server, inp):
    cast = demo_of(live_app)
    base, page = live_server, inp.page
    with live_app.app_context():
        parent_id = db.session.scalar(sa.select(SupportRequest.id)
                                      .where(SupportRequest.title == GENAI_LECTURE))
        db.session.rollback()

    # 健康福祉課 files a consultation from the home page's intake link.
    login(inp, base, cast(SAYO_WELFARE))
    inp.visit(f"{base}/requests/new", menu_link(page, "新規相談"))
    inp.follow("[data-testid=kind-consultation]")
    inp.fill("#title", "介護保険の申請をオンラインで受け付けたい")
    inp.fill("#body", "窓口と郵送だけで受け付けている申請を電子申請にしたい。")
    inp.check("input[name=help_wanted] >> nth=0")
    inp.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=request-number]")
    consultation = page.text_content("[data-testid=request-number]").strip()
    assert consultation.startswith("R")
    expect(page.locator("[data-testid=state]")).to_have_text("受付")
    # Following it: the filer's list shows it with its state.
    inp.visit(f"{base}/requests/mine", menu_link(page, cast("自分の市町の依頼")))
    expect(page.locator("main")).to_contain_text(consultation)
    logout(page, inp=inp)

    # The 情報部門 of the same town is told of the share, and can open the request.
    login(inp, base, cast(SAYO_INFO))
    inp.visit(f"{base}/notifications", page.get_by_test_id("bell"))
    shared = page.locator("[data-testid=notification]", has_text=consultation)
    expect(shared.first).to_be_visible()
    inp.visit(f"{base}/requests/{request_id_of(live_app, consultation)}",
              shared.first.get_by_test_id("open-notification"))
    expect(page.locator("#history")).to_contain_text("情報部門に共有しました")

    # The 情報部門 files a joint lecture with 上郡町 and an accompaniment of a held lecture.
    lecture = file_lecture(inp, base, cast("カイゼンDX講座の合同開催(佐用町・上郡町)"),
                           co_municipality=cast.muni("上郡町"))
    expect(page.locator("main")).to_contain_text(cast.muni("上郡町"))
    inp.visit(f"{base}/requests/new", menu_link(page, "新規相談"))
    inp.follow("[data-testid=kind-accompaniment]")
    inp.select("#parent_id", str(parent_id))
    inp.fill("#title", "生成AI利用ガイドライン策定の伴走支援")
    inp.fill("#body", "講座の後、庁内の利用ガイドラインを年度内にまとめたい。")
    inp.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=request-number]")
    accompaniment = page.text_content("[data-testid=request-number]").strip()
    inp.visit(f"{base}/requests/mine", menu_link(page, cast("自分の市町の依頼")))
    for number in (consultation, lecture, accompaniment):
        expect(page.locator("main")).to_contain_text(number)

    with live_app.app_context():
        rows = {s.number: s for s in db.session.scalars(sa.select(SupportRequest).where(
            SupportRequest.number.in_((consultation, lecture, accompaniment))))}
        assert {rows[n].kind for n in rows} == {"consultation", "lecture", "accompaniment"}
        assert rows[consultation].filed_outside_info_dept
        info = db.session.scalar(sa.select(User).where(User.email == cast(SAYO_INFO)))
        assert info in rows[consultation].followers
        assert [m.name for m in rows[lecture].co_municipalities] == [cast.muni("上郡町")]
        # Routed to the region of the filer's municipality, whose liaison team works it.
        assert rows[lecture].municipality.name == cast.muni("佐用町")
        assert rows[lecture].region.name == cast("西播磨")
        assert len(rows[lecture].candidate_dates) == 2
        assert rows[accompaniment].parent_id == parent_id
        # The numbers follow the demo's, in one sequence.
        numbers = list(db.session.scalars(sa.select(SupportRequest.number)
                                          .where(SupportRequest.number.is_not(None))))
        assert len(numbers) == len(set(numbers))
        db.session.rollback()


def test_liaison_works_a_lecture_expert_records_it_staff_rate_it(live_app, live_server, inp):
    cast = demo_of(live_app)
    base, page = live_server, inp.page
    first_day, _second = candidate_days()
    with live_app.app_context():
        expert_id = db.session.scalar(sa.select(User.id).where(User.email == EXPERT2))
        db.session.rollback()

    login(inp, base, cast(SAYO_INFO))
    title = "税務課向けカイゼンDX講座(申告書の入力)"
    number = file_lecture(inp, base, title)
    sreq_id = request_id_of(live_app, number)
    logout(page, inp=inp)

    # The liaison's home is the queue: the new lecture is there; taking it starts 調整中.
    login(inp, base, cast(LIAISON))
    inp.follow(f"tr:has-text('{number}') >> a:has-text('{title}')", f"**/requests/{sreq_id}")
    inp.click("[data-testid=action-triage] button")
    expect(page.locator("[data-testid=state]")).to_have_text("調整中")
    inp.fill("#body", "ご依頼ありがとうございます。講師の日程を調整します。")
    inp.click("[data-testid=send-comment]")
    page.wait_for_selector("text=返信を送りました。")
    inp.select("#kind", "advice")
    inp.fill("#note", "入力項目の整理を事前ワークとして依頼")
    inp.click("#support button[type=submit]")
    page.wait_for_selector("text=支援の記録を追加しました。")
    inp.check(f"input[name=expert_ids][value='{expert_id}']")
    inp.click("text=選んだ人材に派遣を依頼")
    expect(page.locator("[data-testid=assignments]")).to_contain_text("民間採用 次郎")
    logout(page, inp=inp)

    # The expert accepts from their home page (担当依頼).
    login(inp, base, EXPERT2)
    card = page.locator("[data-testid=assignment]", has_text=title)
    inp.select(card.locator("select"), "accept")
    inp.click(card.locator("button[type=submit]"))
    expect(page.locator("[data-testid=assignment]", has_text=title)).to_contain_text("引受済")
    logout(page, inp=inp)

    # The liaison fixes the first candidate date with the expert.
    login(inp, base, cast(LIAISON))
    request_link = f"main a:has-text('{title}')"
    inp.visit(f"{base}/requests/{sreq_id}", request_link)
    inp.follow("[data-testid=schedule-lecture]", f"**/visits/schedule/{sreq_id}")
    inp.check("[data-testid=candidate-1]")
    inp.check(f"#attendee_ids input[value=\"{expert_id}\"]")  # checkboxes, no Ctrl-click
    inp.click("text=この日程で確定する")
    page.wait_for_selector("text=訪問を確定しました")
    visit_url = page.url
    inp.visit(f"{base}/requests/{sreq_id}", request_link)
    expect(page.locator("[data-testid=state]")).to_have_text("日程確定")
    logout(page, inp=inp)

    # The day after the lecture: the expert writes the record, the municipality rates it.
    after = datetime.combine(first_day + timedelta(days=1), time(10), tzinfo=JST)
    with time_machine.travel(after, tick=True):
        to_the_visit = (request_link, f"#visits a:has-text('{title}')")
        page.reload()  # the login form left open since the day of scheduling has expired
        login(inp, base, EXPERT2)
        write_visit_record(page, visit_url, inp=inp, via=to_the_visit, attendees_business=18,
                           covered="申告書の入力をノーコードアプリに置き換える演習",
                           issues="マスタの整備が必要", follow_ups="本番運用に向けた伴走支援を案内")
        expect(page.locator("[data-testid=visit-state]")).to_have_text("実施済")
        logout(page, inp=inp)

        with live_app.app_context():
            assert request_satisfaction_due(utcnow()) >= 1
            db.session.commit()

        login(inp, base, cast(SAYO_INFO))
        rate_visit(page, visit_url, 5, "演習が実務に直結していました", inp=inp,
                   via=(menu_link(page, cast("自分の市町の依頼")), f"main a:text-is('{number}')",
                        to_the_visit[-1]))
        expect(page.locator("[data-testid=satisfaction]")).to_contain_text("5/5")
        inp.visit(f"{base}/requests/{sreq_id}", f"main a:has-text('{title}')")
        expect(page.locator("[data-testid=state]")).to_have_text("実施済")

    with live_app.app_context():
        visit = db.session.scalar(sa.select(Visit).where(Visit.request_id == sreq_id))
        assert visit.state == "held" and visit.record.covered.startswith("申告書")
        assert visit.sreq.state == "delivered" and visit.sreq.assignee.email == cast(LIAISON)
        answer = db.session.scalar(sa.select(SatisfactionResponse)
                                   .where(SatisfactionResponse.visit_id == visit.id))
        assert answer.rating == 5
        db.session.rollback()


def test_manager_downloads_last_months_report(live_app, live_server, inp):
    cast = demo_of(live_app)
    pack = load_pack(cast.key)
    base, page = live_server, inp.page
    today = utcnow().astimezone(JST)
    year, month = previous_month(today.year, today.month)
    ym = f"{year:04d}-{month:02d}"

    login(inp, base, MANAGER)
    inp.follow(page.get_by_role("link", name=f"先月の月次報告 ({ym})"), f"**/reports/monthly/{ym}")
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"月次報告 {ym}")
    new_figure = page.get_by_role("row", name="新規受付").locator("td").first.inner_text()
    # Reach out of the desk's own municipalities: 全41市町 on Hyogo's, 全77市町村 on Nagano's.
    expect(page.locator("main")).to_contain_text(
        f"全{len(pack.municipalities)}{pack.municipalities_word}")

    with page.expect_download() as csv_download:
        inp.click(page.get_by_role("link", name="CSV", exact=True))
    assert csv_download.value.suggested_filename == f"monthly-report-{ym}.csv"
    with open(csv_download.value.path(), encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) > 5 and any("新規受付" in row for row in rows)

    with page.expect_download() as xlsx_download:
        inp.click(page.get_by_test_id("xlsx"))
    assert xlsx_download.value.suggested_filename == f"monthly-report-{ym}.xlsx"
    with open(xlsx_download.value.path(), "rb") as fh:
        ws = load_workbook(io.BytesIO(fh.read())).active
    values = {r[1]: r[2] for r in ws.iter_rows(min_row=3, values_only=True)}
    # The demo's requests of last month are counted, and the file agrees with the page.
    assert values["新規受付"] >= 1
    assert str(values["新規受付"]) in new_figure
