"""The monthly report against a hand-built month: April 2025 (令和7年度's first month).

The fixture spans the fiscal-year boundary (a request submitted on 31 March, FY2024, worked in
April, FY2025), the 昭和の日 holiday (Tue 29 April 2025), a request reopened after closure, a
submission at 20:00 JST on 30 April (April) and one at 08:00 JST on 1 May (May, though it is
still 30 April in UTC). Every expected number is worked out by hand in the comments.
"""
import csv
import io
import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from supportdesk.extensions import db
from supportdesk.models import Engagement, SupportAction, Visit
from supportdesk.models.visit import SatisfactionResponse, VisitRecord
from supportdesk.services.reports.monthly import build_monthly_report
from supportdesk.services.reports.snapshots import snapshot_due
from supportdesk.services.requests.conversation import add_comment, record_support_action
from supportdesk.services.requests.transitions import apply_action
from supportdesk.timeutil import JST
from tests.factories import (make_expert, make_liaison, make_request, make_staff, make_user,
                             municipality)



def jst(*args):
    return datetime(*args, tzinfo=JST)


def new_request(filer, at, *, kind="consultation", themes=(), origin="municipal", co=(), **fields):
    """A request filed and submitted at `at` (JST) through the filing service; a liaison files
    on behalf of the municipality named in its `_muni`."""
    on_behalf = {} if filer.role == "municipal_staff" else {
        "municipality_id": municipality(filer._muni).id}
    return make_request(filer, kind, now=at, themes=themes, co=co, origin=origin,
                        title=f"依頼 {at:%m%d}", **on_behalf, **fields)


def act(sreq, action, actor, at, reason=None):
    apply_action(sreq, action, actor, reason=reason, now=at)
    db.session.commit()


@pytest.fixture
def april(app):
    liaison_w = make_liaison("西播磨")  # 佐用町, 上郡町 (7 municipalities in 西播磨)
    liaison_c = make_liaison("中播磨", "但馬", central=True)
    sayo, kamigori = make_staff("佐用町"), make_staff("上郡町")
    toyooka, kamikawa = make_staff("豊岡市"), make_staff("神河町")
    expert = make_expert("DXアドバイザー")
    liaison_c._muni = "神河町"

    # R8, last year: submitted 2024-04-10, closed 2024-04-15 -> April 2024 new 1, closed 1.
    r8 = new_request(sayo, jst(2024, 4, 10, 10))
    act(r8, "triage", liaison_w, jst(2024, 4, 11, 10))
    act(r8, "answer", liaison_w, jst(2024, 4, 12, 10))
    act(r8, "close", liaison_w, jst(2024, 4, 15, 10))
    # R4: Feb 2025, closed 5 March, reopened 2 April (28 days later), answered 8 April, closed 9 April.
    r4 = new_request(sayo, jst(2025, 2, 10, 10), themes=["funding"])
    act(r4, "triage", liaison_w, jst(2025, 2, 12, 10))
    act(r4, "answer", liaison_w, jst(2025, 2, 20, 10))
    act(r4, "close", liaison_w, jst(2025, 3, 5, 10))
    act(r4, "reopen", sayo, jst(2025, 4, 2, 10), reason="追加の質問")
    act(r4, "answer", liaison_w, jst(2025, 4, 8, 10))
    act(r4, "close", liaison_w, jst(2025, 4, 9, 10))
    # R2: joint lecture 上郡町 + 佐用町, submitted 31 March 16:00 (FY2024), triaged 1 April,
    # held 22 April with the expert, delivered the same day, closed 25 April.
    r2 = new_request(kamigori, jst(2025, 3, 31, 16), kind="lecture", themes=["kaizen_nocode"],
                     program="kaizen", formats=["lecture", "demo"], co=["佐用町"])
    r2.audiences = ["executives", "business"]
    act(r2, "triage", liaison_w, jst(2025, 4, 1, 10))
    add_comment(r2, liaison_w, "日程を調整します", now=jst(2025, 4, 1, 10, 5))  # first response
    act(r2, "schedule", liaison_w, jst(2025, 4, 10, 10))
    visit = Visit(kind="lecture", state="held", sreq=r2, title="カイゼンDX講座",
                  starts_at=jst(2025, 4, 22, 13), ends_at=jst(2025, 4, 22, 16),
                  municipalities=[municipality("上郡町"), municipality("佐用町")],
                  attendees=[expert, liaison_w], created_by_id=liaison_w.id)
    db.session.add(visit)
    db.session.flush()
    # Its record: 2 executives, 10 business, 3 information, 1 other = 16; rated 5 and 4.
    db.session.add_all([
        VisitRecord(visit_id=visit.id, attendees_executives=2, attendees_business=10,
                    attendees_information=3, attendees_other=1, recorded_by_id=liaison_w.id),
        SatisfactionResponse(visit_id=visit.id, respondent_id=kamigori.id, rating=5),
        SatisfactionResponse(visit_id=visit.id, respondent_id=sayo.id, rating=4)])
    act(r2, "deliver", liaison_w, jst(2025, 4, 22, 17))
    act(r2, "close", liaison_w, jst(2025, 4, 25, 10))
    # R1: 佐用町, submitted Fri 25 April, first response Wed 30 April (29 April is a holiday),
    # answered in May.
    r1 = new_request(sayo, jst(2025, 4, 25, 10), themes=["security"])
    act(r1, "triage", liaison_w, jst(2025, 4, 30, 9))
    record_support_action(r1, liaison_w, "advice", now=jst(2025, 4, 30, 11))
    act(r1, "answer", liaison_w, jst(2025, 5, 7, 10))
    # R3: 豊岡市 (但馬), submitted Thu 3 April, due Mon 7 April, declined 15 April.
    r3 = new_request(toyooka, jst(2025, 4, 3, 9), themes=["generative_ai"])
    db.session.add(SupportAction(request_id=r3.id, kind="bridge", target_department="デジタル改革課",
                                 actor_id=liaison_c.id, at=jst(2025, 4, 10, 10)))
    act(r3, "decline", liaison_c, jst(2025, 4, 15, 10), reason="県の所管外のため")
    # R5: push-type lecture for 神河町 (中播磨) proposed by the liaison on 14 April,
    # withdrawn by the town on 16 April before its response deadline.
    r5 = new_request(liaison_c, jst(2025, 4, 14, 10), kind="lecture", origin="push",
                     themes=["data_utilization"])
    act(r5, "withdraw", kamikawa, jst(2025, 4, 16, 10), reason="日程が合わない")
    # R6: 30 April 20:00 JST is April; R7: 1 May 08:00 JST is May (30 April 23:00 UTC).
    new_request(toyooka, jst(2025, 4, 30, 20), themes=["mynumber"])
    new_request(toyooka, jst(2025, 5, 1, 8))
    # A periodic round at 神河町 on 17 April.
    db.session.add(Visit(kind="round", state="held", title="定期巡回", starts_at=jst(2025, 4, 17, 10),
                         ends_at=jst(2025, 4, 17, 11), municipalities=[municipality("神河町")],
                         created_by_id=liaison_c.id))
    # A prefecture-run lecture at 神河町 on 18 April, with no request behind it (program "other",
    # no requested audience): 0 + 5 business + 2 information + 0 = 7 participants, rated 2.
    # Not held: a cancelled lecture on 24 April whose stray rating (1) must not count.
    solo = Visit(kind="lecture", state="held", title="県主催講座", starts_at=jst(2025, 4, 18, 14),
                 ends_at=jst(2025, 4, 18, 16), municipalities=[municipality("神河町")],
                 created_by_id=liaison_c.id)
    cancelled = Visit(kind="lecture", state="cancelled", title="中止講座",
                      starts_at=jst(2025, 4, 24, 14), ends_at=jst(2025, 4, 24, 16),
                      municipalities=[municipality("神河町")], created_by_id=liaison_c.id)
    # March (the previous month): a request-less lecture at 佐用町, 4 business staff, rated 3.
    march = Visit(kind="lecture", state="held", title="3月の講座", starts_at=jst(2025, 3, 12, 14),
                  ends_at=jst(2025, 3, 12, 16), municipalities=[municipality("佐用町")],
                  created_by_id=liaison_w.id)
    db.session.add_all([solo, cancelled, march])
    db.session.flush()
    db.session.add_all([
        VisitRecord(visit_id=solo.id, attendees_business=5, attendees_information=2,
                    recorded_by_id=liaison_c.id),
        SatisfactionResponse(visit_id=solo.id, respondent_id=kamikawa.id, rating=2),
        SatisfactionResponse(visit_id=cancelled.id, respondent_id=kamikawa.id, rating=1),
        VisitRecord(visit_id=march.id, attendees_business=4, recorded_by_id=liaison_w.id),
        SatisfactionResponse(visit_id=march.id, respondent_id=sayo.id, rating=3)])
    # Accompaniment: E1 佐用町 from 20 March, still active; E2 豊岡市 3-24 April (closed inside
    # the month); E3 神河町 from 30 April, closed at 00:30 JST on 1 May (still 30 April in UTC,
    # but after the month ended in Tokyo, so it was active at the end of April).
    for name, starts, closed in (("佐用町", (2025, 3, 20), None),
                                 ("豊岡市", (2025, 4, 3), jst(2025, 4, 24, 10)),
                                 ("神河町", (2025, 4, 30), jst(2025, 5, 1, 0, 30))):
        db.session.add(Engagement(
            municipality_id=municipality(name).id, owner_id=liaison_c.id, title=f"伴走 {name}",
            starts_on=datetime(*starts).date(), state="closed" if closed else "active",
            closed_at=closed, outcome="完了" if closed else None, created_by_id=liaison_c.id))
    # A round at 佐用町 on 2 May: after April, so not in April's round coverage.
    db.session.add(Visit(kind="round", state="held", title="定期巡回", starts_at=jst(2025, 5, 2, 10),
                         ends_at=jst(2025, 5, 2, 11), municipalities=[municipality("佐用町")],
                         created_by_id=liaison_w.id))
    db.session.commit()
    return {"liaison_w": liaison_w, "r1": r1, "r2": r2, "r4": r4}


def figures(report, section):
    return {row["label"]: (row["value"], row["prev"], row["prev_year"])
            for row in report["sections"][section]}


def table(report, key):
    return {row["label"]: row["value"] for row in report[key]}


def test_request_figures_for_april_2025(april):
    rep = build_monthly_report(2025, 4)
    req = figures(rep, "requests")
    # New in April: R1, R3, R5, R6 = 4 (R2 is 31 March, R7 is 1 May JST). March: R2 = 1.
    # April 2024: R8 = 1.
    assert req["新規受付"] == (4, 1, 1)
    # Closed in April: R4 (9 April, after its reopening) and R2 (25 April) = 2.
    # March: R4's first closure on 5 March = 1. April 2024: R8 = 1.
    assert req["完了"] == (2, 1, 1)
    # Open at the end of April: R1 (調整中) and R6 (受付) = 2; R3 declined, R5 withdrawn,
    # R2/R4 closed, R7 submitted in May. End of March: R2 = 1. End of April 2024: 0.
    assert req["月末時点の未完了"] == (2, 1, 0)
    assert req["対応不可"] == (1, 0, 0)   # R3
    assert req["取下げ"] == (1, 0, 0)     # R5
    assert req["再開"] == (1, 0, 0)       # R4


def test_responsiveness_in_business_days(april):
    rep = build_monthly_report(2025, 4)
    resp = figures(rep, "responsiveness")
    # First responses in April (a reply, a support action, an outcome; taking the request does
    # not count): R5, push-type, is its own first contact = 0; R2 31/3 -> reply 1/4 = 1; R1
    # 25/4 -> advice 30/4 = 2 (28/4, then 29/4 昭和の日 is skipped, 30/4); R3 3/4 -> declined
    # 15/4 = 8 (4,7,8,9,10,11,14,15; its bridge was written straight into the table, not through
    # the service). Sorted 0, 1, 2, 8: nearest-rank median = 2nd = 1, p90 = ceil(3.6) = 4th = 8.
    assert resp["初回対応までの営業日数(中央値)"][0] == 1
    assert resp["初回対応までの営業日数(90パーセンタイル)"][0] == 8
    # Resolved in April: R2 31/3 -> 22/4 = 16 business days; R4 10/2 -> 8/4 = 38
    # (Feb 12 incl. 11/2 and 24/2 holidays excluded; March 20 with 20/3 春分の日 excluded;
    # April 1-8 = 6). Median = 1st of 2 = 16, p90 = 2nd = 38.
    assert resp["解決までの営業日数(中央値)"][0] == 16
    assert resp["解決までの営業日数(90パーセンタイル)"][0] == 38
    # Past the 2-business-day target: R3 (due 7/4, answered 15/4). R5 was withdrawn before its
    # deadline; R6's deadline (2/5) is in May; R1 and R2 were answered in time.
    assert resp["初回対応の目標超過"][0] == 1


def test_lectures_visits_support_and_experts(april):
    rep = build_monthly_report(2025, 4)
    lect = figures(rep, "lectures")
    # R2's visit on 22 April and the request-less lecture on 18 April (the cancelled one on
    # 24 April does not count).
    assert lect["出前講座の実施回数"][0] == 2
    assert lect["うち複数市町合同"][0] == 1         # 上郡町 + 佐用町
    assert table(rep, "lectures_by_program")["カイゼンDX"] == 1
    assert table(rep, "lectures_by_program")["その他"] == 1  # no request: program "other"
    fmt = table(rep, "lectures_by_format")
    assert (fmt["講義"], fmt["ツールの紹介・デモ"], fmt["意見交換・アドバイス"]) == (1, 1, 0)
    assert table(rep, "visits_by_kind") == {"出前講座": 2, "定期巡回": 1}
    support = table(rep, "support_by_kind")
    assert (support["専門的な助言"], support["関係部署への橋渡し"], support["事例紹介"]) == (1, 1, 0)
    assert table(rep, "bridges") == {"デジタル改革課": 1}
    assert table(rep, "expert_dispatches") == {"DXアドバイザー": 1}


def test_lecture_participants_and_satisfaction(april):
    rep = build_monthly_report(2025, 4)
    lect = figures(rep, "lectures")
    # Participants of April's held lectures: R2's 16 + the 18 April lecture's 7 = 23.
    # March: the 12 March lecture's 4. April 2024: no lecture, 0.
    assert lect["出前講座の参加者数"] == (23, 4, 0)
    # Ratings of April's held lectures: 5, 4 (R2) and 2 (18 April); the cancelled lecture's 1 is
    # left out. Average (5 + 4 + 2) / 3 = 3.666.. -> 3.67; 4-5: 2 of 3 = 66.7%.
    # March: one rating of 3 -> 3.0 and 0.0%. April 2024: no responses -> none.
    assert lect["満足度アンケートの回答数"] == (3, 1, 0)
    assert lect["満足度の平均(5段階)"] == (3.67, 3.0, None)
    assert lect["満足度4・5の割合(％)"] == (66.7, 0.0, None)
    # By role: executives 2; business 10 + 5 = 15; information 3 + 2 = 5; other 1.
    assert table(rep, "participants_by_role") == {"首長・幹部": 2, "業務担当課": 15, "情報部門": 5,
                                                  "その他": 1}
    # By the audience the request named: only R2 has a request (executives, business), so one
    # lecture and its 16 participants under each of those two; none for 情報部門.
    assert table(rep, "lectures_by_audience") == {"首長・幹部": 1, "業務担当課": 1, "情報部門": 0}
    assert table(rep, "participants_by_audience") == {"首長・幹部": 16, "業務担当課": 16,
                                                      "情報部門": 0}


def test_accompaniment_engagements(april):
    rep = build_monthly_report(2025, 4)
    acc = figures(rep, "accompaniment")
    # Active at the end of April: E1 (open) and E3 (closed 1 May 00:30 JST) = 2; E2 closed on
    # 24 April. End of March: E1 = 1. End of April 2024: none.
    assert acc["月末時点で進行中の伴走支援"] == (2, 1, 0)
    # Opened in April: E2 (3 April) and E3 (30 April) = 2. March: E1 = 1. April 2024: 0.
    assert acc["今月開始した伴走支援"] == (2, 1, 0)


def test_round_coverage_follows_each_region_cycle(april):
    from supportdesk.models import Region
    from supportdesk.services.reports.outreach import round_coverage

    def coverage(year, month):
        return {row["region"]: (row["visited"], row["total"])
                for row in round_coverage(year, month, None)}

    # Default 3-month cycles: in May the Apr-Jun cycle holds 神河町's 17 April round (中播磨 1/4)
    # and 佐用町's 2 May round (西播磨 1/7); April's coverage stops at 30 April (西播磨 0/7).
    assert coverage(2025, 5)["中播磨"] == (1, 4) and coverage(2025, 5)["西播磨"] == (1, 7)
    assert coverage(2025, 4)["西播磨"] == (0, 7)
    # A monthly cycle for 中播磨 (Region.round_cycle_months, as on the rounds page): May's cycle
    # is May only, so April's round no longer counts.
    db.session.scalar(sa.select(Region).where(Region.name == "中播磨")).round_cycle_months = 1
    db.session.flush()
    assert coverage(2025, 5)["中播磨"] == (0, 4)
    assert coverage(2025, 4)["中播磨"] == (1, 4)


def test_breakdowns_by_kind_region_theme(april):
    rep = build_monthly_report(2025, 4)
    # New: R1, R3, R6 consultations; R5 is the push-type lecture.
    kinds = table(rep, "by_kind")
    assert kinds["相談"] == 3 and kinds["地域DX出前講座"] == 0 and kinds["プッシュ型(リエゾン発)"] == 1
    assert table(rep, "by_region") == {"西播磨": 1, "但馬": 2, "中播磨": 1}
    themes = table(rep, "by_theme")
    assert themes == {"情報セキュリティ": 1, "生成AIの活用": 1,
                      "データ利活用・オープンデータ・BI・GIS": 1, "マイナンバーカード": 1}
    assert table(rep, "by_municipality") == {"佐用町": 1, "豊岡市": 2, "神河町": 1}
    assert [d["reason"] for d in rep["declined"]] == ["県の所管外のため"]
    assert [d["reason"] for d in rep["withdrawn"]] == ["日程が合わない"]


def test_reach(april):
    rep = build_monthly_report(2025, 4)
    reach = rep["reach"]
    # Contacts in April: 佐用町 (R1, R4, the joint visit), 上郡町 (R2), 豊岡市 (R3, R6),
    # 神河町 (R5, the round) = 4. The quarter and the fiscal year both started on 1 April.
    assert (reach["total"], reach["month"], reach["quarter"], reach["fiscal_year"]) == (41, 4, 4, 4)
    # No contact in the 90 days before 1 May: the 37 others.
    names = {row["name"] for row in reach["no_contact"]}
    assert len(names) == 37 and not names & {"佐用町", "上郡町", "豊岡市", "神河町"}
    rounds = {row["region"]: (row["visited"], row["total"]) for row in reach["rounds"]}
    assert rounds["中播磨"] == (1, 4) and rounds["西播磨"] == (0, 7) and "神戸" not in rounds


def test_liaison_sees_only_their_regions(april, client, login_as):
    login_as(april["liaison_w"])
    page = client.get("/reports/monthly/2025-04").get_data(as_text=True)
    rep = build_monthly_report(2025, 4, region_ids=[april["liaison_w"].regions[0].id])
    # 西播磨 only: new R1; closed R2, R4; open R1; reach 佐用町 and 上郡町 of 7.
    assert figures(rep, "requests")["新規受付"][0] == 1
    assert figures(rep, "requests")["完了"][0] == 2
    assert (rep["reach"]["month"], rep["reach"]["total"]) == (2, 7)
    # New figures, 西播磨 only: R2's lecture (16 participants; ratings 5 and 4 -> 4.5, 100%),
    # not 神河町's; engagements: E1 active, none opened (E2 is 但馬, E3 中播磨).
    lect = figures(rep, "lectures")
    assert lect["出前講座の参加者数"][0] == 16
    assert (lect["満足度の平均(5段階)"][0], lect["満足度4・5の割合(％)"][0]) == (4.5, 100.0)
    acc = figures(rep, "accompaniment")
    assert (acc["月末時点で進行中の伴走支援"][0], acc["今月開始した伴走支援"][0]) == (1, 0)
    assert [row["region"] for row in rep["reach"]["rounds"]] == ["西播磨"]
    assert "神河町" not in page
    assert "豊岡市" not in page and "担当圏域の数値のみ" in page
    drill = client.get("/reports/monthly/2025-04/requests?figure=new").get_data(as_text=True)
    assert april["r1"].number in drill and "豊岡市" not in drill


def test_municipal_staff_see_no_report(app, client, login_as):
    login_as(make_staff("佐用町"))
    for url in ("/reports/", "/reports/monthly/2025-04", "/reports/monthly/2025-04.csv",
                "/reports/monthly/2025-04.xlsx", "/reports/fiscal/2025", "/reports/dashboard"):
        assert client.get(url).status_code == 403, url


def test_figure_links_to_its_requests(april, client, login_as):
    login_as(make_user("manager"))
    page = client.get("/reports/monthly/2025-04").get_data(as_text=True)
    assert "/reports/monthly/2025-04/requests?figure=closed" in page
    drill = client.get("/reports/monthly/2025-04/requests?figure=closed").get_data(as_text=True)
    assert april["r2"].number in drill and april["r4"].number in drill
    assert april["r1"].number not in drill


def test_csv_and_xlsx_carry_the_same_figures(april, client, login_as):
    login_as(make_user("manager"))
    raw = client.get("/reports/monthly/2025-04.csv").data
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel in Japan reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1] == ["区分", "項目", "当月", "前月", "前年同月"]
    assert ["依頼", "新規受付", "4", "1", "1"] in rows
    resp = client.get("/reports/monthly/2025-04.xlsx")
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    found = {r[1]: r[2:5] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert found["新規受付"] == (4, 1, 1)   # numbers, not text
    assert found["完了"] == (2, 1, 1)
    assert found["接点のあった市町数(今月)"][0] == 4
    # The new figures travel too, as numbers (hand figures in the tests above).
    assert found["出前講座の参加者数"] == (23, 4, 0)
    assert found["満足度の平均(5段階)"] == (3.67, 3.0, None)
    assert found["満足度4・5の割合(％)"] == (66.7, 0.0, None)
    assert found["月末時点で進行中の伴走支援"] == (2, 1, 0)
    by_section = {(r[0], r[1]): r[2] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert by_section[("参加者(役職別)", "情報部門")] == 5
    assert by_section[("参加者(依頼の対象者別)", "首長・幹部")] == 16
    assert by_section[("定期巡回", "中播磨 巡回済(全4市町)")] == 1
    assert ["伴走支援", "今月開始した伴走支援", "2", "1", "0"] in rows
    assert ["出前講座", "満足度の平均(5段階)", "3.67", "3.0", ""] in rows


def test_exports_never_carry_a_formula_from_typed_text(april, client, login_as):
    """A liaison typed a bridging target that Excel would run as a formula."""
    evil = '=HYPERLINK("http://evil.example/","開く")'
    db.session.add(SupportAction(request_id=april["r1"].id, kind="bridge", target_department=evil,
                                 actor_id=april["liaison_w"].id, at=jst(2025, 4, 21, 10)))
    db.session.add(SupportAction(request_id=april["r1"].id, kind="bridge",
                                 target_department="@SUM(A1)", actor_id=april["liaison_w"].id,
                                 at=jst(2025, 4, 22, 10)))
    db.session.commit()
    login_as(make_user("manager"))
    rows = list(csv.reader(io.StringIO(
        client.get("/reports/monthly/2025-04.csv").data.decode("utf-8-sig"))))
    assert ["橋渡し先", "'" + evil, "1", "", ""] in rows
    assert ["橋渡し先", "'@SUM(A1)", "1", "", ""] in rows
    ws = load_workbook(io.BytesIO(client.get("/reports/monthly/2025-04.xlsx").data)).active
    cells = [row[1] for row in ws.iter_rows(min_row=3) if row[0].value == "橋渡し先"]
    assert {c.value for c in cells} >= {"'" + evil, "'@SUM(A1)", "デジタル改革課"}
    assert {c.data_type for c in cells} == {"s"}  # text, never "f" (formula)


def test_snapshot_job_once_per_month_and_frozen(april):
    from supportdesk.models import ReportSnapshot

    make_user("manager")
    before_time = jst(2025, 5, 1, 7, 59)   # before 08:00 on the 1st: April is not due yet
    assert snapshot_due(now=before_time) == 1  # ...but March is (catching up after downtime)
    assert snapshot_due(now=jst(2025, 5, 1, 8, 0)) == 1
    assert snapshot_due(now=jst(2025, 5, 1, 8, 5)) == 0  # triggered twice: nothing more
    db.session.commit()
    snaps = db.session.scalars(sa.select(ReportSnapshot).order_by(ReportSnapshot.period)).all()
    assert [s.period for s in snaps] == ["2025-03", "2025-04"]
    april_snap = snaps[1]
    frozen = figures(april_snap.figures, "requests")["新規受付"]
    # Later edits to requests do not rewrite history: withdraw nothing, but add a new request
    # back-dated into April and change a title.
    april["r1"].title = "変更後の件名"
    new_request(april["r1"].filer, jst(2025, 4, 28, 10))
    db.session.commit()
    db.session.expire_all()
    assert figures(build_monthly_report(2025, 4), "requests")["新規受付"][0] == 5
    again = db.session.get(ReportSnapshot, april_snap.id)
    assert figures(again.figures, "requests")["新規受付"] == frozen == (4, 1, 1)
    # The new figures are frozen with the rest.
    assert figures(again.figures, "lectures")["満足度の平均(5段階)"][0] == 3.67
    assert figures(again.figures, "accompaniment")["月末時点で進行中の伴走支援"][0] == 2


def test_regenerating_keeps_the_earlier_snapshot(april, client, login_as):
    from supportdesk.models import ReportSnapshot

    login_as(make_user("manager"))
    assert client.post("/reports/monthly/2025-04/snapshot", data={"reason": "再集計"}).status_code == 302
    assert client.post("/reports/monthly/2025-04/snapshot").status_code == 302
    versions = db.session.scalars(sa.select(ReportSnapshot.version)
                                  .where(ReportSnapshot.period == "2025-04")).all()
    assert sorted(versions) == [1, 2]


def test_fiscal_year_summary_spans_april_to_march(april, client, login_as):
    login_as(make_user("manager"))
    page = client.get("/reports/fiscal/2024").get_data(as_text=True)
    # FY2024 = April 2024 .. March 2025: R8 and R4 and R2 were submitted in it.
    assert "令和6年度" in page and "2025-03" in page and "2024-04" in page and "2025-04" not in page
    assert "新規 3件" in page


def test_report_page_keeps_the_business_day_calendar(april, client, login_as):
    from supportdesk.models import BusinessDay

    login_as(make_user("manager"))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BusinessDay)) == 0
    assert client.get("/reports/monthly/2025-04").status_code == 200
    db.session.rollback()  # read what the page committed
    # From 7 days before the first submission (10 April 2024) to 7 days after the report's end.
    days = db.session.scalars(sa.select(BusinessDay.day).order_by(BusinessDay.day)).all()
    assert days[0] <= "2024-04-03" and days[-1] >= "2025-05-07"


def test_push_information_by_category_with_read_rates(app):
    from supportdesk.services.announcements import compose_announcement, mark_announcement_read
    from tests.factories import region

    liaison = make_liaison("西播磨")
    sayo, kamigori = make_staff("佐用町", info_dept=True), make_staff("上郡町", info_dept=True)
    make_staff("豊岡市", info_dept=True)  # 但馬: outside the target
    a = compose_announcement(liaison, title="研修のご案内", body="カイゼンDX研修を開催します。",
                             category="研修・セミナー", region_ids=[region("西播磨").id],
                             now=jst(2025, 4, 10, 10))
    compose_announcement(liaison, title="5月の案内", body="翌月分", category="事例",
                         target_all=True, now=jst(2025, 5, 1, 10))
    db.session.commit()
    mark_announcement_read(a, sayo, now=jst(2025, 4, 11, 9))
    db.session.commit()
    rows = {r["label"]: r for r in build_monthly_report(2025, 4)["push_information"]}
    # April: one 研修・セミナー announcement to 西播磨's information departments: 佐用町 and
    # 上郡町 staff got it in-app (2), 佐用町 read it (1) -> 50%. The May one is not counted.
    training = rows["研修・セミナー"]
    assert (training["value"], training["recipients"], training["read"], training["read_rate"]) \
        == (1, 2, 1, 50.0)
    assert rows["事例"]["value"] == 0 and rows["事例"]["read_rate"] is None
    # A liaison of 但馬 sees no announcement reaching their region.
    tajima = build_monthly_report(2025, 4, region_ids=[region("但馬").id])["push_information"]
    assert all(r["value"] == 0 for r in tajima)
    assert kamigori.municipality.region.name == "西播磨"


def test_csv_content_type_names_its_charset_once(april, client, login_as):
    login_as(make_user("manager"))
    resp = client.get("/reports/monthly/2025-04.csv")
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_xlsx_prints_on_a4_fit_to_width_with_repeated_headers(april, client, login_as):
    """A printout keeps 当月・前月・前年同月 beside their labels on every page."""
    login_as(make_user("manager"))
    ws = load_workbook(io.BytesIO(client.get("/reports/monthly/2025-04.xlsx").data)).active
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$2"
    # The printed report's title, in 和暦 with the western month beside it, and the day made.
    assert ws["A1"].value == "月次報告 令和7年4月分(2025年4月)" and ws["A1"].font.bold
    assert re.fullmatch(r"作成日 令和\d+年\d+月\d+日\(20\d\d年\)", ws["C1"].value)
    assert [c.value for c in ws[2]] == ["区分", "項目", "当月", "前月", "前年同月"]
    assert "月次報告 令和7年4月分(2025年4月)" in ws.oddHeader.center.text
    assert ws.oddFooter.center.text == "&P / &N"
    assert ws.print_area == "'2025-04'!$A$1:$E$" + str(ws.max_row)
