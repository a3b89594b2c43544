"""Request pages: forms (errors kept), tenant isolation, internal notes, the editing conflict."""
import re
from datetime import datetime

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RequestEvent, SupportRequest
from supportdesk.services.requests.conversation import add_comment
from supportdesk.services.requests.filing import perform_action
from supportdesk.timeutil import JST
from tests.factories import PASSWORD, make_liaison, make_request, make_staff, municipality


def _login(app, user):
    c = app.test_client()
    assert c.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return c


def _latest():
    return db.session.scalars(sa.select(SupportRequest).order_by(SupportRequest.id.desc())).first()


LECTURE = {
    "title": "カイゼンDX講座の申込み", "program": "kaizen", "formats": ["lecture", "demo"],
    "audiences": ["business"], "expected_participants": "20", "venue": "佐用町役場 大会議室",
    "body": "紙の申請書の転記作業を減らしたい", "prework": "改善したい業務を3つ選定済み",
    "candidates-0-day": "2099-05-10", "candidates-0-start": "13:30", "candidates-0-end": "16:30",
    "candidates-1-day": "2099-05-17", "candidates-1-start": "09:30", "candidates-1-end": "12:00",
}


def test_staff_files_a_consultation_and_sees_it(app, client, login_as):
    staff = make_staff("佐用町")
    login_as(staff)
    assert "相談" in client.get("/requests/new").get_data(as_text=True)
    resp = client.post("/requests/new/consultation", data={
        "title": "電子申請の始め方", "body": "どこから手を付ければよいか", "help_wanted": ["advice", "case"],
        "submit": "1"})
    assert resp.status_code == 302
    sreq = _latest()
    assert sreq.state == "submitted" and sreq.number.startswith("R")
    assert sreq.help_wanted == ["advice", "case"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert sreq.number in page and "受付" in page
    assert sreq.number in client.get("/requests/mine").get_data(as_text=True)


def test_lecture_form_stores_candidate_dates_in_utc(app, client, login_as):
    login_as(make_staff("佐用町"))
    resp = client.post("/requests/new/lecture", data={**LECTURE, "submit": "1"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    sreq = _latest()
    assert sreq.kind == "lecture" and sreq.state == "submitted"
    starts = [c.starts_at for c in sreq.candidate_dates]
    assert starts[0] == datetime(2099, 5, 10, 13, 30, tzinfo=JST)
    assert starts[0].utcoffset().total_seconds() == 0  # stored as UTC
    assert sreq.prework == "改善したい業務を3つ選定済み"
    page = client.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert "2099-05-10 13:30" in page  # shown in Tokyo time


def test_form_errors_are_japanese_and_keep_typed_values(app, client, login_as):
    login_as(make_staff("佐用町"))
    resp = client.post("/requests/new/lecture", data={**LECTURE, "title": "", "submit": "1"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "件名を入力してください。" in page
    assert "紙の申請書の転記作業を減らしたい" in page and "佐用町役場 大会議室" in page


def test_candidate_dates_are_validated(app, client, login_as):
    login_as(make_staff("佐用町"))
    one = {k: v for k, v in LECTURE.items() if not k.startswith("candidates-1")}
    page = client.post("/requests/new/lecture", data={**one, "submit": "1"}).get_data(as_text=True)
    assert "候補日時を2つ以上入力してください" in page
    reversed_times = {**LECTURE, "candidates-1-end": "08:00", "submit": "1"}
    page = client.post("/requests/new/lecture", data=reversed_times).get_data(as_text=True)
    assert "終了は開始より後にしてください。" in page
    past = {**LECTURE, "candidates-0-day": "2020-01-06", "submit": "1"}
    page = client.post("/requests/new/lecture", data=past).get_data(as_text=True)
    assert "今日より後の日時を入力してください。" in page
    # A draft may be saved with a single date.
    assert client.post("/requests/new/lecture", data={**one, "save_draft": "1"}).status_code == 302
    assert _latest().state == "draft"


def test_another_municipalitys_request_is_404_on_every_url(app):
    owner = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(owner)
    add_comment(sreq, liaison, "ご相談ありがとうございます")
    from supportdesk.services.requests.attachments import add_attachments

    (att,) = add_attachments(sreq, owner, [("資料.pdf", b"%PDF-1.4 test")])
    db.session.commit()
    outsider = _login(app, make_staff("姫路市"))
    base = f"/requests/{sreq.id}"
    for url in (base, base + "/edit", f"{base}/attachments/{att.id}"):
        assert outsider.get(url).status_code == 404, url
    for url in (base + "/edit", base + "/action/withdraw", base + "/comments",
                base + "/support-actions", base + "/follow", base + "/attachments"):
        assert outsider.post(url, data={"reason": "x", "body": "x"}).status_code == 404, url
    page = outsider.get("/requests/mine").get_data(as_text=True)
    assert sreq.number not in page
    db.session.expire_all()
    assert sreq.state == "submitted"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestEvent).where(
        RequestEvent.request_id == sreq.id, RequestEvent.kind == "comment")) == 1


def test_internal_notes_never_reach_municipal_staff(app):
    owner = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(owner)
    add_comment(sreq, liaison, "公開の返信です")
    add_comment(sreq, liaison, "内部メモ:予算の見込みが薄い", internal=True)
    from supportdesk.services.requests.attachments import add_attachments

    (secret,) = add_attachments(sreq, liaison, [("内部資料.txt", "内部".encode())], internal=True)
    db.session.commit()
    staff_client = _login(app, owner)
    page = staff_client.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert "公開の返信です" in page
    assert "予算の見込みが薄い" not in page and "内部資料.txt" not in page
    assert "内部メモを追加しました" not in page  # not even the timeline entry
    assert staff_client.get(f"/requests/{sreq.id}/attachments/{secret.id}").status_code == 404
    liaison_client = _login(app, liaison)
    page = liaison_client.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert "予算の見込みが薄い" in page and "内部資料.txt" in page
    with liaison_client.get(f"/requests/{sreq.id}/attachments/{secret.id}") as resp:
        assert resp.status_code == 200 and resp.data == "内部".encode()


def test_staff_cannot_post_an_internal_note(app):
    owner = make_staff("佐用町")
    sreq = make_request(owner)
    c = _login(app, owner)
    c.post(f"/requests/{sreq.id}/comments", data={"body": "メモのつもり", "internal": "y"})
    page = c.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert "メモのつもり" not in page


def test_co_applicant_staff_see_a_joint_lecture(app):
    host = make_staff("相生市")
    sreq = make_request(host, "lecture", co_municipality_ids=[municipality("赤穂市").id])
    co = _login(app, make_staff("赤穂市"))
    assert co.get(f"/requests/{sreq.id}").status_code == 200
    assert sreq.number in co.get("/requests/mine").get_data(as_text=True)
    stranger = _login(app, make_staff("上郡町"))
    assert stranger.get(f"/requests/{sreq.id}").status_code == 404


def _version(page):
    return re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"',
                     page).group(1)


def test_second_save_gets_409_naming_the_changed_field_and_keeps_typing(app):
    owner = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(owner, title="元の件名", body="元の本文")
    first, second = _login(app, owner), _login(app, liaison)
    url = f"/requests/{sreq.id}/edit"
    v1 = _version(first.get(url).get_data(as_text=True))
    v2 = _version(second.get(url).get_data(as_text=True))
    assert v1 == v2
    assert first.post(url, data={"title": "住民票のオンライン申請", "body": "元の本文",
                                 "version": v1, "save": "1"}).status_code == 302
    resp = second.post(url, data={"title": "元の件名", "body": "リエゾンが書き足した本文",
                                  "version": v2, "save": "1"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "他の人が更新しました" in page and "件名" in page
    assert "住民票のオンライン申請" in page  # their change is shown
    assert "リエゾンが書き足した本文" in page  # our typing is kept
    db.session.expire_all()
    assert sreq.body == "元の本文"
    # After reading the changes, saving again (with the new version) goes through.
    resp = second.post(url, data={"title": "住民票のオンライン申請", "version": _version(page),
                                  "body": "リエゾンが書き足した本文", "save": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert sreq.body == "リエゾンが書き足した本文" and sreq.title == "住民票のオンライン申請"


def test_staff_edit_ends_when_a_liaison_takes_the_request(app):
    owner = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(owner)
    perform_action(sreq, "triage", liaison)
    db.session.commit()
    c = _login(app, owner)
    resp = c.get(f"/requests/{sreq.id}/edit", follow_redirects=True)
    assert "編集できません" in resp.get_data(as_text=True)
    assert _login(app, liaison).get(f"/requests/{sreq.id}/edit").status_code == 200


def test_withdraw_with_reason_over_http(app):
    owner = make_staff("佐用町")
    sreq = make_request(owner)
    c = _login(app, owner)
    resp = c.post(f"/requests/{sreq.id}/action/withdraw", data={"reason": ""},
                  follow_redirects=True)
    assert "理由を入力してください。" in resp.get_data(as_text=True)
    c.post(f"/requests/{sreq.id}/action/withdraw", data={"reason": "庁内で解決したため"})
    db.session.expire_all()
    assert sreq.state == "withdrawn" and sreq.withdraw_reason == "庁内で解決したため"


def test_reply_templates_are_maintained_and_inserted(app):
    liaison = make_liaison("西播磨")
    owner = make_staff("佐用町")
    sreq = make_request(owner)
    c = _login(app, liaison)
    resp = c.post("/requests/templates/new", data={"title": "受付の連絡",
                                                   "body": "ご相談を受け付けました。", "active": "y"})
    assert resp.status_code == 302
    assert "受付の連絡" in c.get("/requests/templates/").get_data(as_text=True)
    page = c.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert 'data-body="ご相談を受け付けました。"' in page
    assert "reply_template.js" in page
    tpl_id = re.search(r'<option value="(\d+)"[^>]*data-body', page).group(1)
    page = c.get(f"/requests/{sreq.id}?template={tpl_id}").get_data(as_text=True)
    assert re.search(r"<textarea[^>]*name=\"body\"[^>]*>\s*ご相談を受け付けました。", page)
    staff_client = _login(app, owner)
    assert staff_client.get("/requests/templates/").status_code == 403
    assert "data-body" not in staff_client.get(f"/requests/{sreq.id}").get_data(as_text=True)


def test_liaison_records_support_action_shown_in_timeline(app):
    liaison = make_liaison("西播磨")
    sreq = make_request(make_staff("佐用町"))
    c = _login(app, liaison)
    resp = c.post(f"/requests/{sreq.id}/support-actions",
                  data={"kind": "bridge", "target_department": "デジタル改革課"})
    assert resp.status_code == 302
    page = c.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert "デジタル改革課" in page and "関係部署への橋渡し" in page
    c.post(f"/requests/{sreq.id}/support-actions", data={"kind": "vendor"})
    page = c.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert "紹介した事業者名を入力してください。" in page


def test_timeline_shows_field_changes_and_states(app):
    owner = make_staff("佐用町")
    sreq = make_request(owner, title="旧件名")
    c = _login(app, owner)
    page = c.get(f"/requests/{sreq.id}/edit").get_data(as_text=True)
    c.post(f"/requests/{sreq.id}/edit", data={"title": "新件名", "body": sreq.body,
                                               "version": _version(page), "save": "1"})
    page = c.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert "旧件名</del>" in page and "新件名</ins>" in page
    assert "下書き" in page and "受付" in page


def test_liaison_files_a_push_lecture_on_behalf_over_http(app):
    liaison = _login(app, make_liaison("西播磨"))
    page = liaison.get("/requests/new/lecture").get_data(as_text=True)
    assert 'name="municipality_id"' in page and 'name="origin_push"' in page
    resp = liaison.post("/requests/new/lecture", data={
        **{k: v for k, v in LECTURE.items() if not k.startswith("candidates")},
        "municipality_id": "0", "origin_push": "y", "submit": "1"})
    assert "市町を選んでください。" in resp.get_data(as_text=True)
    resp = liaison.post("/requests/new/lecture", data={
        **{k: v for k, v in LECTURE.items() if not k.startswith("candidates")},
        "municipality_id": str(municipality("宍粟市").id), "origin_push": "y", "submit": "1"})
    assert resp.status_code == 302
    sreq = _latest()
    assert (sreq.origin, sreq.state, sreq.municipality.name) == ("push", "submitted", "宍粟市")
    staff_page = _login(app, make_staff("佐用町")).get("/requests/new/lecture").get_data(as_text=True)
    assert 'name="municipality_id"' not in staff_page and 'name="origin_push"' not in staff_page


def test_manager_and_assigned_expert_can_read_the_page(app):
    from supportdesk.models import ExpertAssignment
    from tests.factories import make_expert, make_user

    liaison = make_liaison("西播磨")
    sreq = make_request(make_staff("佐用町"))
    expert = make_expert()
    assert _login(app, expert).get(f"/requests/{sreq.id}").status_code == 404
    db.session.add(ExpertAssignment(request_id=sreq.id, expert_id=expert.id,
                                    assigned_by_id=liaison.id))
    db.session.commit()
    assert _login(app, expert).get(f"/requests/{sreq.id}").status_code == 200
    page = _login(app, make_user("manager")).get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert sreq.number in page and 'data-testid="action-' not in page


def test_accompaniment_follows_a_delivered_lecture(app):
    owner = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    lecture = make_request(owner, "lecture")
    for action in ("triage", "schedule", "deliver"):
        perform_action(lecture, action, liaison)
    db.session.commit()
    c = _login(app, owner)
    assert "伴走支援を申し込む" in c.get(f"/requests/{lecture.id}").get_data(as_text=True)
    page = c.get(f"/requests/new/accompaniment?parent={lecture.id}").get_data(as_text=True)
    assert f'value="{lecture.id}" selected' in page or f'selected value="{lecture.id}"' in page
    resp = c.post("/requests/new/accompaniment", data={
        "title": "講座後の伴走支援", "body": "kintoneアプリの作り込みを相談したい",
        "parent_id": str(lecture.id), "submit": "1"})
    assert resp.status_code == 302
    assert _latest().parent_id == lecture.id


def test_edit_keeps_past_candidate_dates_valid(app):
    owner = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(owner, "lecture")
    # The dates have passed by the time the liaison edits (set directly: test setup).
    for c in sreq.candidate_dates:
        c.starts_at = c.starts_at.replace(year=2020)
        c.ends_at = c.ends_at.replace(year=2020)
    db.session.commit()
    c = _login(app, liaison)
    page = c.get(f"/requests/{sreq.id}/edit").get_data(as_text=True)
    data = {**LECTURE, "version": _version(page), "save": "1", "venue": "オンライン会場"}
    for i, cand in enumerate(sreq.candidate_dates):
        local = cand.starts_at.astimezone(JST)
        data[f"candidates-{i}-day"] = local.date().isoformat()
        data[f"candidates-{i}-start"] = local.strftime("%H:%M")
        data[f"candidates-{i}-end"] = cand.ends_at.astimezone(JST).strftime("%H:%M")
    resp = c.post(f"/requests/{sreq.id}/edit", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    assert sreq.venue == "オンライン会場"


def test_reply_template_edit_and_retire(app):
    from supportdesk.models import ReplyTemplate

    liaison = make_liaison("西播磨")
    c = _login(app, liaison)
    c.post("/requests/templates/new", data={"title": "旧題名", "body": "本文", "active": "y"})
    tpl = db.session.scalar(sa.select(ReplyTemplate))
    page = c.post(f"/requests/templates/{tpl.id}/edit", data={"title": "", "body": "本文2",
                                                             "active": "y"}).get_data(as_text=True)
    assert "題名を入力してください。" in page and "本文2" in page
    c.post(f"/requests/templates/{tpl.id}/edit", data={"title": "新題名", "body": "本文2",
                                                      "active": "y"})
    c.post(f"/requests/templates/{tpl.id}/delete")
    db.session.expire_all()
    assert (tpl.title, tpl.body, tpl.active) == ("新題名", "本文2", False)
    sreq = make_request(make_staff("佐用町"))
    assert "data-body" not in c.get(f"/requests/{sreq.id}").get_data(as_text=True)


def test_submitting_needs_content_and_lecture_dates(app):
    import pytest

    from supportdesk.services import ValidationFailed

    staff = make_staff("佐用町")
    empty = make_request(staff, state="draft", body="")
    with pytest.raises(ValidationFailed, match="内容"):
        perform_action(empty, "submit", staff)
    db.session.rollback()
    lecture = make_request(staff, "lecture", state="draft", candidate_dates=[])
    with pytest.raises(ValidationFailed, match="候補日時"):
        perform_action(lecture, "submit", staff)
    db.session.rollback()
    db.session.expire_all()
    assert (empty.state, lecture.state, empty.number) == ("draft", "draft", None)


def test_anonymous_callers_are_sent_to_login_everywhere(app, client):
    sreq = make_request(make_staff("佐用町"))
    base = f"/requests/{sreq.id}"
    for url in ("/requests/new", "/requests/new/lecture", "/requests/mine", base, base + "/edit",
                base + "/attachments/1", "/requests/templates/", "/requests/templates/new"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
    for url in (base + "/action/withdraw", base + "/comments", base + "/follow"):
        assert client.post(url).status_code == 302, url


def test_uploads_default_to_instance_folder(app):
    import os

    from supportdesk.services.requests.attachments import upload_folder

    app.config["UPLOAD_FOLDER"] = None
    assert upload_folder() == os.path.join(app.instance_path, "uploads")
