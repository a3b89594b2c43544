"""LoGoフォーム and other form services: answers posted as JSON by question label, once per
回答ID, into drafts or submitted requests; answers that do not map wait with their reason; a
CSV export of the same form previews row by row and imports once."""
import re

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import (AuditLog, FormAnswer, FormAnswerRevision, FormConnection,
                                OutboxMessage, SupportRequest)
from tests.factories import make_liaison, make_staff, make_user

ANSWER = {"回答ID": "A-0001", "市町名": "佐用町", "メールアドレス": "kikaku@town.sayo.example.lg.jp",
          "依頼の種類": "相談", "件名": "窓口のキャッシュレス化", "相談内容": "導入の進め方を知りたい。",
          "テーマ": "", "希望期限": "2027/03/31"}


def _login(client, user):
    from tests.factories import PASSWORD

    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _connect(client, mode="draft", name="LoGoフォーム 相談受付"):
    """An admin connects a form on the page; the token is shown once."""
    page = client.post("/admin/forms/new", data={"name": name, "mode": mode,
                                                 "default_kind": "consultation"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    token = re.search(r'data-testid="intake-token">([^<]+)<', html).group(1)
    conn = db.session.scalar(sa.select(FormConnection).order_by(FormConnection.id.desc()))
    assert conn.token_hash != token and token not in str(conn.mapping)
    return conn, token


def _post(client, conn, token, payload):
    return client.post(f"/intake/forms/{conn.id}/answers", json=payload,
                       headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def admin_client(app, client):
    _login(client, make_user("admin"))
    return client


def test_an_answer_becomes_a_draft_once_and_a_changed_resend_is_a_revision(admin_client):
    client = admin_client
    filer = make_staff(email="kikaku@town.sayo.example.lg.jp")
    conn, token = _connect(client)
    resp = _post(client, conn, token, ANSWER)
    assert resp.status_code == 201 and resp.json["result"] == "filed"
    sreq = db.session.scalar(sa.select(SupportRequest))
    assert (sreq.state, sreq.filer_id, sreq.title) == ("draft", filer.id, "窓口のキャッシュレス化")
    assert sreq.needed_by.isoformat() == "2027-03-31"
    [notice] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert notice.event_type == "intake.draft_created" and notice.user_id == filer.id
    # The form service sends it again (a retry): nothing changes.
    again = _post(client, conn, token, ANSWER)
    assert again.status_code == 200 and again.json["result"] == "unchanged"
    # The answer was edited in the form: the earlier version is kept as a revision.
    changed = dict(ANSWER, 相談内容="導入の進め方と費用を知りたい。")
    assert _post(client, conn, token, changed).json["result"] == "revised"
    assert db.session.scalar(sa.select(sa.func.count(SupportRequest.id))) == 1
    [rev] = db.session.scalars(sa.select(FormAnswerRevision)).all()
    assert rev.payload["相談内容"] == "導入の進め方を知りたい。"
    assert db.session.scalar(sa.select(FormAnswer.payload))["相談内容"] == "導入の進め方と費用を知りたい。"


def test_a_submit_connection_files_a_numbered_request_the_team_hears_of(admin_client):
    make_staff(email="kikaku@town.sayo.example.lg.jp")
    make_liaison("西播磨")
    conn, token = _connect(admin_client, mode="submit")
    resp = _post(admin_client, conn, token, ANSWER)
    assert resp.status_code == 201 and resp.json["request_number"].startswith("R")
    sreq = db.session.scalar(sa.select(SupportRequest))
    assert sreq.state == "submitted" and sreq.submitted_at is not None
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
        OutboxMessage.event_type == "request.submit")) >= 1


def test_answers_that_do_not_map_wait_with_their_reason_and_file_after_the_fix(admin_client):
    client = admin_client
    conn, token = _connect(client)
    cases = [(dict(ANSWER, 回答ID="B1", 市町名="架空町"), "市町「架空町」が見つかりません。"),
             (dict(ANSWER, 回答ID="B2"), "佐用町の職員として登録されたメールアドレス"),
             (dict(ANSWER, 回答ID="B3", 件名=""), None)]
    for payload, _reason in cases:
        resp = _post(client, conn, token, payload)
        assert resp.status_code == 201 and resp.json["result"] == "waiting", resp.json
    page = client.get(f"/admin/forms/{conn.id}").get_data(as_text=True)
    assert "市町「架空町」が見つかりません。" in page and "佐用町の職員として登録されたメールアドレス" in page
    assert db.session.scalar(sa.select(sa.func.count(SupportRequest.id))) == 0
    # The admin registers the staff member, and takes the answer in again.
    make_staff(email="kikaku@town.sayo.example.lg.jp")
    b2 = db.session.scalar(sa.select(FormAnswer).where(FormAnswer.answer_id == "B2"))
    client.post(f"/admin/forms/{conn.id}/answers/{b2.id}/retry")
    db.session.refresh(b2)
    assert b2.status == "filed" and b2.request_id is not None
    b3 = db.session.scalar(sa.select(FormAnswer).where(FormAnswer.answer_id == "B3"))
    client.post(f"/admin/forms/{conn.id}/answers/{b3.id}/retry")
    db.session.refresh(b3)
    assert b3.status == "waiting" and b3.reason == "件名が空欄です。"
    assert db.session.scalar(sa.select(AuditLog.id).where(
        AuditLog.action == "form_answer.retried")) is not None


def test_the_endpoint_refuses_a_wrong_token_bad_json_and_an_answer_without_its_id(admin_client):
    client = admin_client
    conn, token = _connect(client)
    assert _post(client, conn, token + "x", ANSWER).status_code == 401
    assert client.post(f"/intake/forms/{conn.id}/answers", json=ANSWER).status_code == 401
    other, _other_token = _connect(client, name="別のフォーム")
    assert _post(client, other, token, ANSWER).status_code == 401  # another connection's token
    assert client.post("/intake/forms/999/answers", json=ANSWER,
                       headers={"Authorization": f"Bearer {token}"}).status_code == 404
    bad = client.post(f"/intake/forms/{conn.id}/answers", data="not json",
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/json"})
    assert bad.status_code == 400
    missing = _post(client, conn, token, {k: v for k, v in ANSWER.items() if k != "回答ID"})
    assert missing.status_code == 422 and "回答ID" in missing.json["message"]
    assert db.session.scalar(sa.select(sa.func.count(FormAnswer.id))) == 0


CSV_ROWS = [["回答ID", "市町名", "メールアドレス", "依頼の種類", "件名", "相談内容", "テーマ", "希望期限"],
            ["C1", "佐用町", "kikaku@town.sayo.example.lg.jp", "相談", "①電子申請の拡大", "様式の電子化", "", ""],
            ["C2", "存在しない市", "x@example.jp", "相談", "届かない行", "", "", ""],
            ["C3", "佐用町", "kikaku@town.sayo.example.lg.jp", "地域DX出前講座", "", "", "", ""]]


def _csv(encoding):
    text = "\r\n".join(",".join(r) for r in CSV_ROWS) + "\r\n"
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_a_csv_export_is_previewed_then_imported_once(admin_client, encoding):
    from io import BytesIO

    client = admin_client
    make_staff(email="kikaku@town.sayo.example.lg.jp")
    conn, _token = _connect(client)
    data = _csv(encoding)
    preview = client.post(f"/admin/forms/{conn.id}/import",
                          data={"file": (BytesIO(data), "回答.csv")},
                          content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert 'data-line="2" data-outcome="new"' in html and "①電子申請の拡大" in html
    assert 'data-line="3" data-outcome="error"' in html and "市町「存在しない市」が見つかりません。" in html
    assert 'data-line="4" data-outcome="error"' in html and "件名が空欄です。" in html
    assert db.session.scalar(sa.select(sa.func.count(FormAnswer.id))) == 0  # nothing yet
    staged = re.search(r'name="staged" value="([0-9a-f]+)"', html).group(1)
    done = client.post(f"/admin/forms/{conn.id}/import/confirm", data={"staged": staged},
                       follow_redirects=True).get_data(as_text=True)
    assert "新規 1件、確認待ち 2件" in done
    assert [s.title for s in db.session.scalars(sa.select(SupportRequest))] == ["①電子申請の拡大"]
    # The same file again: previewed as already there, and imports nothing new.
    again = client.post(f"/admin/forms/{conn.id}/import",
                        data={"file": (BytesIO(data), "回答.csv")},
                        content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-line="2" data-outcome="unchanged"' in again
    staged = re.search(r'name="staged" value="([0-9a-f]+)"', again).group(1)
    client.post(f"/admin/forms/{conn.id}/import/confirm", data={"staged": staged})
    assert db.session.scalar(sa.select(sa.func.count(SupportRequest.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(FormAnswer.id))) == 3


def test_a_file_that_is_not_a_csv_gets_a_message_beside_the_field(admin_client):
    from io import BytesIO

    conn, _token = _connect(admin_client)
    resp = admin_client.post(f"/admin/forms/{conn.id}/import",
                             data={"file": (BytesIO(b"\x81\x20\x82\x20garbage"), "x.csv")},
                             content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "文字コードが読み取れません" in resp.get_data(as_text=True)


def test_staff_cannot_reach_the_form_admin_pages(app, client):
    _login(client, make_staff())
    assert client.get("/admin/forms").status_code == 403
