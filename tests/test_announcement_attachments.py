"""Announcement attachments: upload on compose, rejection with the form kept, download scope."""
import hashlib
import io
import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from supportdesk import permissions
from supportdesk.extensions import db
from supportdesk.models import Announcement, AnnouncementAttachment
from supportdesk.notifications.outbox import dispatch_due
from supportdesk.services.announcements import compose_announcement, send_due_announcements
from tests.factories import (make_expert, make_liaison, make_staff, make_user, municipality,
                             office_file)
from tests.notify_helpers import Receiver, make_room

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
XLSX = office_file("xlsx")
OPEN = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def form_data(**extra):
    data = {"title": "補助金の公募資料", "category": "補助金・交付金", "body": "公募要領を添付します。",
            "links": "https://www.example.go.jp/hojo",
            "municipality_ids": [str(municipality("佐用町").id)], "departments": "info",
            "send_mode": "now"}
    data.update(extra)
    return data


def compose_with_files(actor, files, **kw):
    args = dict(title="補助金の公募資料", body="公募要領を添付します。", category="補助金・交付金",
                municipality_ids=[municipality("佐用町").id], uploads=files, now=OPEN)
    args.update(kw)
    return compose_announcement(actor, **args)


def stored_files(app):
    folder = app.config["UPLOAD_FOLDER"]
    return sorted(os.listdir(folder)) if os.path.exists(folder) else []


def test_files_uploaded_on_compose_are_stored_outside_the_db_and_listed(app, client, login_as):
    liaison = make_liaison("西播磨")
    staff = make_staff("佐用町", info_dept=True)
    login_as(liaison)
    resp = client.post("/announcements/new", content_type="multipart/form-data", data=form_data(
        attachments=[(io.BytesIO(PDF), "../公募/公募要領.pdf"), (io.BytesIO(XLSX), "様式.xlsx")]))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    a = db.session.scalar(sa.select(Announcement))
    files = db.session.scalars(sa.select(AnnouncementAttachment).order_by(
        AnnouncementAttachment.id)).all()
    assert [(f.announcement_id, f.filename, f.content_type) for f in files] == [
        (a.id, "公募要領.pdf", "application/pdf"),
        (a.id, "様式.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    assert files[0].size == len(PDF) and files[0].sha256 == hashlib.sha256(PDF).hexdigest()
    assert files[0].uploaded_by_id == liaison.id and files[0].uploaded_at is not None
    # The bytes live in UPLOAD_FOLDER under random names, not in the database.
    assert stored_files(app) == sorted(f.stored_name for f in files)
    for f, data in zip(files, (PDF, XLSX), strict=True):
        assert f.stored_name != f.filename and "公募" not in f.stored_name
        with open(os.path.join(app.config["UPLOAD_FOLDER"], f.stored_name), "rb") as fh:
            assert fh.read() == data
    url = f"/announcements/{a.id}/attachments/{files[0].id}"
    assert url in client.get(f"/announcements/{a.id}").get_data(as_text=True)
    login_as(staff)
    archive = client.get("/announcements").get_data(as_text=True)
    assert "公募要領.pdf" in archive and "様式.xlsx" in archive and url in archive
    page = client.get(f"/announcements/{a.id}").get_data(as_text=True)
    assert "公募要領.pdf" in page and url in page


@pytest.mark.parametrize("name,data,limit,message", [
    ("tool.exe", b"MZ\x90\x00", None, "だけです"),
    ("偽物.pdf", b"MZ\x90\x00 not a pdf", None, "一致しません"),
    ("大きい.pdf", PDF + b"0" * 4096, 2048, "ファイルが大きすぎます"),
], ids=["type", "magic-bytes", "size"])
def test_bad_file_is_rejected_next_to_the_field_and_the_form_is_kept(app, client, login_as,
                                                                     name, data, limit, message):
    if limit:
        app.config["UPLOAD_MAX_BYTES"] = limit
    login_as(make_liaison("西播磨"))
    resp = client.post("/announcements/new", content_type="multipart/form-data", data=form_data(
        title="入力を残したい件名", body="入力を残したい本文",
        links="https://www.example.go.jp/keep",
        attachments=[(io.BytesIO(PDF), "正しい資料.pdf"), (io.BytesIO(data), name)]))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="attachments-error"' in page and message in page
    assert "入力を残したい件名" in page and "入力を残したい本文" in page
    assert "https://www.example.go.jp/keep" in page
    assert f'<option selected value="{municipality("佐用町").id}">' in page
    # Nothing is sent and nothing is written, not even the good file chosen with it.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnnouncementAttachment)) == 0
    assert stored_files(app) == []


def test_download_is_for_the_announcements_readers_only(app, client, login_as):
    liaison = make_liaison("西播磨")
    a = compose_with_files(liaison, [("公募要領.pdf", PDF)])
    other = compose_with_files(liaison, [("豊岡向け.pdf", PDF)],
                               municipality_ids=[municipality("豊岡市").id])
    db.session.commit()
    (att,), (other_att,) = a.attachments, other.attachments
    url = f"/announcements/{a.id}/attachments/{att.id}"
    readers = [make_staff("佐用町", info_dept=True), make_staff("佐用町"), make_liaison("但馬"),
               make_user("manager"), make_user("admin")]
    for user in readers:
        login_as(user)
        with client.get(url) as resp:
            assert resp.status_code == 200, user.role
            assert resp.data == PDF
            assert resp.headers["Content-Disposition"].startswith("attachment;")
            assert "filename*=UTF-8''%E5%85%AC%E5%8B%9F%E8%A6%81%E9%A0%98.pdf" in \
                resp.headers["Content-Disposition"]
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
    sayo = readers[0]
    login_as(sayo)
    # Another municipality's file: 404, also when the URL names an announcement Sayo received.
    assert client.get(f"/announcements/{other.id}/attachments/{other_att.id}").status_code == 404
    assert client.get(f"/announcements/{a.id}/attachments/{other_att.id}").status_code == 404
    assert client.get(f"/announcements/{a.id}/attachments/999999").status_code == 404
    for outsider in (make_staff("豊岡市", info_dept=True), make_staff("姫路市"), make_expert()):
        login_as(outsider)
        assert client.get(url).status_code == 404, outsider.role
    client.post("/logout")
    resp = client.get(url)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_chat_message_counts_the_files_and_links_to_the_announcement(app):
    liaison = make_liaison("西播磨")
    staff = make_staff("佐用町", info_dept=True)
    with Receiver() as receiver:
        make_room(url=receiver.url, municipality_name="佐用町")
        a = compose_with_files(liaison, [("公募要領.pdf", PDF), ("様式.xlsx", XLSX)],
                               scheduled_at=OPEN + timedelta(hours=1))
        db.session.commit()
        # Scheduled: nobody in the municipality may fetch the file before it is sent.
        assert not permissions.can(staff, "view", a.attachments[0])
        assert send_due_announcements(now=OPEN + timedelta(hours=1)) == 1
        db.session.commit()
        assert permissions.can(staff, "view", a.attachments[0])
        app.config.update(CHAT_WEBHOOK_ALLOW_HTTP=True)
        assert dispatch_due(now=OPEN + timedelta(hours=1))["sent"] == 1
        [(headers, body)] = receiver.unique.values()
    text = body.decode()
    assert "添付ファイル:2件" in text and f"/announcements/{a.id}" in text
    # Files are never embedded: neither their names, their bytes nor their download URLs.
    assert "公募要領.pdf" not in text and "%PDF" not in text and "/attachments/" not in text
