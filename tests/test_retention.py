"""Retention under 公文書管理: the period rule, the spring list, holds, 廃棄 and 移管, the register."""
import csv
import hashlib
import io
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import (
    AuditLog,
    OutboxMessage,
    RequestAttachment,
    RequestComment,
    RequestEvent,
    RetentionPolicy,
    RetentionRecord,
    SupportRequest,
)
from supportdesk.services import DomainError, ValidationFailed
from supportdesk.services.chain import verify_chains
from supportdesk.services.reports.monthly import build_fiscal_summary, build_monthly_report
from supportdesk.services.requests.attachments import add_attachments, attachment_path
from supportdesk.services.retention.decisions import (
    carry_out_due,
    confirm_disposition,
    extend_retention,
    place_hold,
    prepare_spring_list,
    release_hold,
    spring_list,
    spring_list_job,
)
from supportdesk.services.retention.periods import closed_before_for, retention_period
from supportdesk.services.retention.policies import update_policy
from supportdesk.services.retention.register import register_csv, register_rows, register_xlsx
from supportdesk.timeutil import JST
from tests.factories import make_liaison, make_request, make_user

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def jst(*args):
    return datetime(*args, tzinfo=JST)


# --- the one rule of the period (pure) ---------------------------------------------------------

@pytest.mark.parametrize("closed, cls, start, end", [
    # 31 March 23:59 in Tokyo is still the fiscal year that ends that day (14:59 UTC) ...
    (jst(2025, 3, 31, 23, 59), "1", date(2025, 4, 1), date(2026, 3, 31)),
    # ... 1 April 00:00 in Tokyo is already the next one, though it is still 31 March in UTC.
    (jst(2025, 4, 1, 0, 0), "1", date(2026, 4, 1), date(2027, 3, 31)),
    (datetime(2025, 3, 31, 15, 0, tzinfo=UTC), "1", date(2026, 4, 1), date(2027, 3, 31)),
    (datetime(2025, 3, 31, 14, 59, tzinfo=UTC), "5", date(2025, 4, 1), date(2030, 3, 31)),
    (jst(2024, 12, 2, 10), "3", date(2025, 4, 1), date(2028, 3, 31)),
    (jst(2024, 12, 2, 10), "10", date(2025, 4, 1), date(2035, 3, 31)),
    (jst(2024, 12, 2, 10), "30", date(2025, 4, 1), date(2055, 3, 31)),
    (date(2025, 3, 31), "1", date(2025, 4, 1), date(2026, 3, 31)),
    (jst(2025, 4, 1, 0, 0), "permanent", date(2026, 4, 1), None),
])
def test_period_starts_on_the_first_of_april_after_closure(closed, cls, start, end):
    assert retention_period(closed, cls) == (start, end)


def test_closed_before_for_is_the_same_rule_turned_round():
    cutoff = closed_before_for(2025, "1")   # a one-year period ending by 31 March 2026
    assert cutoff == jst(2025, 4, 1)
    assert retention_period(jst(2025, 3, 31, 23, 59), "1")[1] == date(2026, 3, 31)
    assert retention_period(cutoff, "1")[1] == date(2027, 3, 31)
    assert closed_before_for(2025, "5") == jst(2021, 4, 1)
    assert closed_before_for(2025, "permanent") is None


# --- a desk with two old requests --------------------------------------------------------------

SPRING = datetime(2025, 4, 10, 0, 0, tzinfo=UTC)      # FY2025's spring list
AFTER_END = datetime(2026, 4, 2, 0, 0, tzinfo=UTC)    # the FY2025 periods have ended


@pytest.fixture
def old_desk(app, tmp_path):
    """Two requests of 佐用町 closed five years before FY2025 ends: one on 31 March 2020 in
    Tokyo (period 2020-04-01 to 2025-03-31... with 5 years: ends 31 March 2025) and one on
    1 April 2020 (ends 31 March 2026), with a conversation, an attachment and themes."""
    admin = make_user("admin", email="admin@pref.example.jp")
    liaison = make_liaison("西播磨")
    submitted = jst(2020, 3, 2, 10)
    early = make_request(state="answered", liaison=liaison, now=submitted, themes=("online_procedures",),
                         title="山田太郎さんの電子申請の相談", body="個人の連絡先 090-0000-0000",
                         comments=[("担当の山田です", False), ("内部の見立て", True)])
    late = make_request(state="answered", liaison=liaison, now=submitted, themes=("online_procedures",),
                        title="翌年度に閉じた相談")
    [att] = add_attachments(early, early.filer, [("議事録.pdf", PDF)], now=submitted)
    db.session.commit()
    from tests.factories import advance_request

    advance_request(early, "closed", liaison, now=jst(2020, 3, 31, 23, 30))
    advance_request(late, "closed", liaison, now=jst(2020, 4, 1, 0, 30))
    return dict(admin=admin, early=early, late=late, att=att, path=attachment_path(att))


def _figures():
    """The monthly report of March 2020, the fiscal-year summaries of FY2019 and FY2020 and the
    municipality's requests per month, as the pages show them."""
    from supportdesk.services.reports.municipality_year import requests_per_month
    from tests.factories import municipality

    figures = [build_monthly_report(2020, 3)["sections"], build_fiscal_summary(2019),
               build_fiscal_summary(2020), requests_per_month(municipality("佐用町").id, 2019)]
    return json.dumps(figures, default=str, sort_keys=True)


def test_spring_list_has_the_march_31_closure_only_and_disposal_keeps_reports_and_chain(
        old_desk, runner):
    admin, early, late = old_desk["admin"], old_desk["early"], old_desk["late"]
    before = _figures()
    # Not empty: both requests are new in FY2019; one closed then, one in FY2020; 佐用町 reached.
    fy2019, fy2020 = build_fiscal_summary(2019)["totals"], build_fiscal_summary(2020)["totals"]
    assert (fy2019["new"], fy2019["closed"], fy2020["closed"], fy2019["reach"]) == (2, 1, 1, 1)
    # A five-year class: closed 31 March 2020 ends 31 March 2025 (FY2024's list) ...
    assert prepare_spring_list(2024, now=SPRING, actor=admin) == 1
    [row] = spring_list(2024)
    assert (row.kind, row.record_id, row.ends_on) == ("request", early.id, date(2025, 3, 31))
    assert row.name == f"{early.number} 相談(佐用町)" and "山田" not in row.name
    # ... and 1 April 2020 ends a year later, on FY2025's list.
    prepare_spring_list(2025, now=SPRING, actor=admin)
    assert {r.record_id for r in spring_list(2025)} == {early.id, late.id}
    confirm_disposition(row, actor=admin, disposition="destroy", now=SPRING)
    db.session.commit()
    assert carry_out_due(now=datetime(2025, 3, 31, 14, 0, tzinfo=UTC)) == 0  # 23:00 on its last day
    assert carry_out_due(now=datetime(2025, 3, 31, 15, 0, tzinfo=UTC)) == 1  # 1 April in Tokyo
    db.session.commit()

    db.session.expire_all()
    sreq = db.session.get(SupportRequest, early.id)
    assert sreq.title == "(廃棄済)" and sreq.body == "" and "山田" not in sreq.search_text
    assert (sreq.state, sreq.kind, sreq.municipality.name) == ("closed", "consultation", "佐用町")
    assert [t.code for t in sreq.themes] == ["online_procedures"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestComment)
                             .where(RequestComment.request_id == early.id)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestAttachment)
                             .where(RequestAttachment.request_id == early.id)) == 0
    assert not os.path.exists(old_desk["path"])
    events = db.session.scalars(sa.select(RequestEvent)
                                .where(RequestEvent.request_id == early.id)).all()
    assert events and all(e.note is None and e.data is None and e.redacted_at for e in events)
    # The other request is untouched.
    assert db.session.get(SupportRequest, late.id).title == "翌年度に閉じた相談"
    assert db.session.get(RetentionRecord, row.id).status == "disposed"
    # The reports add up as before; the chains still verify, through the CLI too.
    assert _figures() == before
    assert all(r.ok for r in verify_chains())
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "request_events: OK" in result.output
    disposed = db.session.scalars(sa.select(AuditLog).where(
        AuditLog.action == "retention.disposed")).one()
    assert disposed.detail["record_id"] == early.id and disposed.detail["files"] == 1
    assert "山田" not in json.dumps(disposed.detail, ensure_ascii=False)


def test_a_hold_overrides_everything(old_desk):
    admin, early = old_desk["admin"], old_desk["early"]
    prepare_spring_list(2024, now=SPRING)
    [row] = spring_list(2024)
    confirm_disposition(row, actor=admin, disposition="destroy", now=SPRING)
    place_hold(row, actor=admin, reason="情報公開請求への対応中", now=SPRING)
    db.session.commit()
    assert carry_out_due(now=AFTER_END) == 0
    with pytest.raises(DomainError):
        extend_retention(row, actor=admin, years=1, reason="x", now=SPRING)
    with pytest.raises(DomainError):
        confirm_disposition(row, actor=admin, disposition="transfer", now=SPRING)
    db.session.rollback()
    # Still listed in later years while held.
    assert row in spring_list(2030)
    assert db.session.get(SupportRequest, early.id).body.startswith("個人の連絡先")
    release_hold(row, actor=admin, reason="対応終了", now=SPRING)
    with pytest.raises(ValidationFailed):
        extend_retention(row, actor=admin, years=1, reason=" ", now=SPRING)
    extend_retention(row, actor=admin, years=2, reason="訴訟の可能性", now=SPRING)
    db.session.commit()
    assert (row.status, row.ends_on) == ("due", date(2027, 3, 31))
    assert row not in spring_list(2024) and row in spring_list(2026)
    assert carry_out_due(now=AFTER_END) == 0
    actions = db.session.scalars(sa.select(AuditLog.action)
                                 .where(AuditLog.action.like("retention.%"))
                                 .order_by(AuditLog.id)).all()
    assert actions == ["retention.list_prepared", "retention.confirmed", "retention.hold_placed", "retention.hold_released",
                       "retention.extended"]


def test_transfer_writes_a_self_contained_archive_first(old_desk, app, tmp_path):
    app.config["RETENTION_ARCHIVE_FOLDER"] = str(tmp_path / "archive")
    admin, early = old_desk["admin"], old_desk["early"]
    prepare_spring_list(2024, now=SPRING)
    [row] = spring_list(2024)
    confirm_disposition(row, actor=admin, disposition="transfer", now=SPRING)
    assert carry_out_due(now=AFTER_END) == 1
    db.session.commit()
    assert row.status == "transferred" and row.archive_path.startswith(str(tmp_path / "archive"))
    folder = Path(row.archive_path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["record"]["number"] == early.number
    assert [c["body"] for c in manifest["sections"]["会話"]] == ["担当の山田です", "内部の見立て"]
    html = (folder / "record.html").read_text(encoding="utf-8")
    assert "担当の山田です" in html and "http" not in html
    sums = dict(reversed(line.split("  ")) for line in
                (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines())
    assert set(sums) == {"manifest.json", "record.html", "files/001-議事録.pdf"}
    for rel, digest in sums.items():
        assert hashlib.sha256((folder / rel).read_bytes()).hexdigest() == digest
    assert (folder / "files/001-議事録.pdf").read_bytes() == PDF
    # Marked transferred, not destroyed.
    assert db.session.get(SupportRequest, early.id).title == "山田太郎さんの電子申請の相談"
    assert db.session.scalar(sa.select(AuditLog.detail).where(
        AuditLog.action == "retention.transferred"))["archive"] == str(folder)


def test_policies_are_seeded_changed_by_admins_and_audited(app):
    admin = make_user("admin")
    stored = dict(db.session.execute(sa.select(RetentionPolicy.kind,
                                               RetentionPolicy.retention_class)).all())
    assert stored == {"request": "5", "visit_record": "5", "round_record": "5", "survey": "10",
                      "meeting_minutes": "10", "audit_log": "10"}
    update_policy("request", actor=admin, retention_class="1", disposition="transfer", now=SPRING)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        update_policy("audit_log", actor=admin, retention_class="10", disposition="destroy",
                      now=SPRING)
    db.session.rollback()
    assert db.session.get(RetentionPolicy, "request").retention_class == "1"
    entry = db.session.scalars(sa.select(AuditLog).where(
        AuditLog.action == "retention.policy_changed")).one()
    assert entry.detail == {"kind": "request", "before": ["5", "destroy"],
                            "after": ["1", "transfer"]}


def test_register_exports_and_spring_job(old_desk, app):
    admin, early = old_desk["admin"], old_desk["early"]
    from supportdesk import scheduler

    job = next(j for j in scheduler.JOBS if j.name == "retention.spring_list")
    first, again = scheduler.run_job(job, now=SPRING), scheduler.run_job(job, now=SPRING)
    assert (first.outcome, first.items, again.items) == ("ok", 2, 0)
    assert spring_list_job(now=SPRING) == {"items": 0, "open": 2}
    db.session.commit()
    told = db.session.scalars(sa.select(OutboxMessage.user_id).where(
        OutboxMessage.event_type == "retention.spring_list", OutboxMessage.channel == "email"))
    assert list(told) == [admin.id]
    rows = register_rows(now=AFTER_END)
    mine = [r for r in rows if r["name"].startswith(early.number)]
    assert mine[0]["class"] == "5年" and mine[0]["start"] == "令和2年4月1日"
    assert mine[0]["end"] == "令和7年3月31日" and mine[0]["disposition"] == "廃棄"
    assert mine[0]["place"] == "市町DX支援デスク(電子)"
    assert any(r["kind"].startswith("監査ログ") for r in rows)
    data = register_csv(rows)
    assert data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == ["分類", "名称", "保存期間", "保存期間の起算日", "保存期間の満了日",
                        "満了時の措置", "保存場所", "状態"]
    assert len(table) == len(rows) + 1
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(register_xlsx(rows, title="ファイル管理簿", made_at=SPRING))).active
    assert ws["A1"].value == "ファイル管理簿" and ws["B3"].value == rows[0]["name"]


def test_pages_admins_decide_managers_read_the_register(old_desk, client, login_as):
    admin, early = old_desk["admin"], old_desk["early"]
    manager, staff = make_user("manager"), early.filer
    login_as(admin)
    assert client.post("/retention/prepare?fy=2024").status_code == 302
    page = client.get("/retention/?fy=2024")
    assert page.status_code == 200 and early.number in page.get_data(as_text=True)
    row = db.session.scalars(sa.select(RetentionRecord)).one()
    # A hold without a reason: the message beside the field, nothing saved.
    bad = client.post(f"/retention/{row.id}/hold", data={"hold-reason": " "})
    assert bad.status_code == 200 and "理由を入力してください" in bad.get_data(as_text=True)
    ok = client.post(f"/retention/{row.id}/confirm", data={"confirm-disposition": "transfer"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert (row.status, row.disposition, row.decided_by_id) == ("confirmed", "transfer", admin.id)
    form = client.post("/retention/policies", data={"kind": "audit_log",
                                                    "audit_log-retention_class": "30",
                                                    "audit_log-disposition": "destroy"})
    assert form.status_code == 200 and "廃棄できません" in form.get_data(as_text=True)
    assert client.get("/retention/999").status_code == 404
    login_as(manager)
    assert client.get("/retention/").status_code == 403
    assert client.get(f"/retention/{row.id}").status_code == 403
    register = client.get("/retention/register")
    assert register.status_code == 200 and early.number in register.get_data(as_text=True)
    export = client.get("/retention/register.csv")
    assert export.headers["Content-Type"].startswith("text/csv")
    assert export.data.startswith("\ufeff".encode())
    assert client.get("/retention/register.xlsx").status_code == 200
    login_as(staff)
    assert client.get("/retention/register").status_code == 403


def test_round_records_and_surveys_are_destroyed_to_their_skeleton(app):
    from datetime import time

    from supportdesk.models import RoundRecord, SurveyResponse, SurveyResponseVersion
    from supportdesk.services.retention.decisions import confirm_listed
    from supportdesk.services.surveys.answering import submit_response
    from supportdesk.services.surveys.building import close_survey
    from supportdesk.models import Visit
    from supportdesk.services.visits import rounds as round_svc
    from supportdesk.services.visits.lifecycle import create_visit, record_visit
    from tests.factories import make_staff, make_survey, municipality

    admin, liaison = make_user("admin"), make_liaison("西播磨")
    for kind in ("round_record", "survey", "visit_record"):
        update_policy(kind, actor=admin, retention_class="1", disposition="destroy", now=SPRING)
    when = jst(2021, 5, 12, 10)
    record = round_svc.record_round(liaison, municipality("佐用町"), held_on=when.date(),
                                    start_time=time(10), end_time=time(11),
                                    progress="RPA導入を検討中", issues="推進体制がない", now=when)
    survey = make_survey(liaison, now=when, municipality_names=("佐用町",))
    n_q, c_q = survey.questions
    submit_response(survey, make_staff("佐用町", info_dept=True),
                    values={n_q.field_name: "3", c_q.field_name: "はい"}, now=when)
    close_survey(survey, liaison, now=jst(2022, 3, 31, 20))
    meeting = create_visit(liaison, kind="meeting", title="佐用町 山田課長と打合せ",
                           starts_at=jst(2021, 6, 1, 10), ends_at=jst(2021, 6, 1, 11),
                           municipalities=[municipality("佐用町")], venue="佐用町役場",
                           confirm=True, now=jst(2021, 5, 20, 10))
    record_visit(meeting, liaison, covered="山田課長の異動の件", issues="体制", now=jst(2021, 6, 1, 12),
                 attendees_business=2)
    db.session.commit()
    assert prepare_spring_list(2022, now=SPRING, actor=admin) == 3
    assert confirm_listed(2022, actor=admin, now=SPRING) == 3
    db.session.commit()
    assert carry_out_due(now=datetime(2023, 3, 31, 15, 0, tzinfo=UTC)) == 3
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(RoundRecord, record.id)
    assert (kept.progress, kept.issues, kept.municipality.name) == ("", "", "佐用町")
    answers = db.session.scalars(sa.select(SurveyResponse.answers)).all()
    assert answers == [{}]
    # The chained versions are redacted (answers blanked, the redaction dated), never rewritten.
    assert db.session.execute(sa.select(SurveyResponseVersion.answers,
                                        SurveyResponseVersion.redacted_at.is_not(None))).all() == [(None, True)]
    assert survey.title == "DX人材の配置状況調査" and survey.purpose == ""
    visit = db.session.get(Visit, meeting.id)
    assert (visit.title, visit.venue, visit.state, visit.record.covered) == ("(廃棄済)", None,
                                                                              "held", "")
    assert visit.record.total_attendees == 2 and visit.municipalities[0].name == "佐用町"
    assert all(r.ok for r in verify_chains())


def test_meeting_minutes_are_listed_transferred_and_destroyed(app, tmp_path):
    """会議録: a held meeting's published minutes start their period on the next 1 April; 移管
    archives the minutes, attendance, items and materials; 廃棄 leaves the skeleton."""
    from supportdesk.models import Meeting, MeetingMaterial
    from supportdesk.services.meetings import meetings, series
    from tests.factories import make_staff, municipality

    app.config["RETENTION_ARCHIVE_FOLDER"] = str(tmp_path / "archive")
    admin, liaison = make_user("admin"), make_liaison("西播磨")
    cio = make_staff("佐用町", name="佐用 CIO")
    from tests.factories import make_contact

    make_contact("佐用町", "cio", name="佐用 CIO", user=cio, valid_from=date(2020, 4, 1))
    update_policy("meeting_minutes", actor=admin, retention_class="1", disposition="transfer",
                  now=SPRING)
    made = []
    for n, day in ((1, 10), (2, 17)):
        at = jst(2021, 5, day, 10)
        s = series.create_series(liaison, kind="liaison_council", title=f"連絡会{n}",
                                 member_roles=["cio"],
                                 member_municipality_ids=[municipality("佐用町").id], now=at)
        m = meetings.create_meeting(s, liaison, title=f"第{n}回 連絡会", starts_at=jst(2021, 6, day, 13),
                                    ends_at=jst(2021, 6, day, 15), venue="県庁", agenda="議題",
                                    answer_deadline=date(2021, 6, day - 3),
                                    uploads=[("資料.pdf", PDF)], now=at)
        meetings.invite(m, liaison, now=at)
        meetings.record_attendance(m, liaison, [m.invitations[0].id], now=jst(2021, 6, day, 16))
        meetings.publish_minutes(m, liaison, minutes=f"第{n}回の議事: 生成AIの指針", now=jst(2021, 6, day, 17))
        made.append(m)
    db.session.commit()
    assert prepare_spring_list(2022, now=SPRING, actor=admin) == 2
    first, second = sorted(spring_list(2022), key=lambda r: r.record_id)
    confirm_disposition(first, actor=admin, disposition="transfer", now=SPRING)
    confirm_disposition(second, actor=admin, disposition="destroy", now=SPRING)
    db.session.commit()
    stored = db.session.scalar(sa.select(MeetingMaterial.stored_name)
                               .where(MeetingMaterial.meeting_id == made[1].id))
    from supportdesk.services.requests.attachments import upload_folder

    stored = os.path.join(upload_folder(), stored)
    assert os.path.exists(stored)
    assert carry_out_due(now=datetime(2023, 3, 31, 15, 0, tzinfo=UTC)) == 2
    db.session.commit()
    folder = Path(first.archive_path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["record"]["minutes"] == "第1回の議事: 生成AIの指針"
    assert [a["attended"] for a in manifest["sections"]["出欠"]] == [True]
    assert (folder / "files/001-資料.pdf").read_bytes() == PDF
    db.session.expire_all()
    gone = db.session.get(Meeting, made[1].id)
    assert (gone.title, gone.minutes, gone.agenda, gone.status) == ("(廃棄済)", None, None, "held")
    assert gone.invitations[0].attended is True and gone.materials == []
    assert not os.path.exists(stored)
    assert db.session.get(Meeting, made[0].id).minutes == "第1回の議事: 生成AIの指針"
    assert all(r.ok for r in verify_chains())
