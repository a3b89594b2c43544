"""Attachments: allowed types by extension and leading bytes, size limit, storage, serving."""
import io
import os

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RequestAttachment, SupportRequest
from supportdesk.services import ValidationFailed
from supportdesk.services.requests.attachments import add_attachments, check_upload, sanitise_filename
from tests.factories import PASSWORD, make_liaison, make_request, make_staff, office_file

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
OK_FILES = [
    ("議事録.pdf", PDF),
    ("集計.xlsx", office_file("xlsx")),
    ("提案書.docx", office_file("docx")),
    ("説明資料.pptx", office_file("pptx")),
    ("旧様式.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40),
    ("画面.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20),
    ("写真.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 20),
    ("図.gif", b"GIF89a" + b"\x00" * 20),
    ("メモ.txt", "業務の一覧\n窓口受付".encode()),
    ("名簿.csv", "氏名,所属\n".encode("cp932")),
]


def _login(app, user):
    c = app.test_client()
    assert c.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return c


@pytest.mark.parametrize("name,data", OK_FILES, ids=[n for n, _ in OK_FILES])
def test_allowed_types_pass(app, name, data):
    assert check_upload(name, data)[0] == name


@pytest.mark.parametrize("name,data,fragment", [
    ("tool.exe", b"MZ\x90\x00", "だけです"),
    ("page.html", b"<html>", "だけです"),
    ("noext", b"%PDF-1.4", "だけです"),
    ("偽物.pdf", b"MZ\x90\x00 not a pdf", "一致しません"),
    ("偽物.docx", PDF, "一致しません"),
    ("壊れた.xlsx", b"PK\x03\x04" + b"\x00" * 40, "一致しません"),  # zip header, no zip
    ("ただのzip.docx", office_file("docx", content_types=False), "一致しません"),
    ("偽物.png", b"GIF89a", "一致しません"),
    ("バイナリ.txt", b"abc\x00\x01\x02", "一致しません"),
    ("空.pdf", b"", "空のファイル"),
])
def test_wrong_type_or_bytes_is_rejected(app, name, data, fragment):
    with pytest.raises(ValidationFailed) as err:
        check_upload(name, data)
    assert fragment in str(err.value) and err.value.field == "attachments"


def test_office_zip_bomb_is_refused_from_its_directory_alone(app):
    """A small .xlsx that declares far more unpacked bytes, or far more entries, than any real
    Office file: refused without unpacking it."""
    app.config.update(UPLOAD_MAX_UNZIPPED_BYTES=1024 * 1024, UPLOAD_MAX_ZIP_ENTRIES=50)
    bomb = office_file("xlsx", extra_entries=[("xl/sharedStrings.xml", b"\x00" * (2 * 1024 * 1024))])
    assert len(bomb) < 20 * 1024  # 2 MB of zeros deflate to a few KB
    many = office_file("docx", extra_entries=[(f"word/media/{i}.xml", b"x") for i in range(60)])
    for name, data in (("爆弾.xlsx", bomb), ("多数.docx", many)):
        with pytest.raises(ValidationFailed) as err:
            check_upload(name, data)
        assert "圧縮された中身が大きすぎるため添付できません" in str(err.value)
    # Just under both limits passes.
    check_upload("普通.xlsx", office_file("xlsx", extra_entries=[("xl/a.xml", b"\x00" * 1000)]))


def test_size_limit(app):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    check_upload("ok.pdf", PDF + b"0" * (1000 - len(PDF)))
    with pytest.raises(ValidationFailed, match="大きすぎます"):
        check_upload("big.pdf", PDF + b"0" * 1000)


def test_filename_is_sanitised_keeping_japanese():
    assert sanitise_filename("../../etc/報告書\x00\x1b.pdf") == "報告書.pdf"
    assert sanitise_filename("C:\\Users\\職員\\資料 (1).xlsx") == "資料 (1).xlsx"
    assert sanitise_filename('a<b>:"c|?.txt') == "a_b___c__.txt"
    assert sanitise_filename(".hidden.txt") == "hidden.txt"
    assert sanitise_filename("\u202e名前.pdf") == "名前.pdf"  # bidi override is a format char


def test_file_is_stored_outside_the_db_under_a_random_name_and_served_safely(app):
    owner = make_staff("佐用町")
    c = _login(app, owner)
    resp = c.post("/requests/new/consultation", content_type="multipart/form-data", data={
        "title": "資料付きの相談", "body": "内容", "submit": "1",
        "attachments": [(io.BytesIO(PDF), "../秘密/会議資料.pdf")]})
    assert resp.status_code == 302
    att = db.session.scalar(sa.select(RequestAttachment))
    assert att.filename == "会議資料.pdf" and att.content_type == "application/pdf"
    assert att.stored_name != att.filename and att.stored_name.endswith(".pdf")
    path = os.path.join(app.config["UPLOAD_FOLDER"], att.stored_name)
    with open(path, "rb") as fh:
        assert fh.read() == PDF
    with c.get(f"/requests/{att.request_id}/attachments/{att.id}") as dl:
        assert dl.status_code == 200 and dl.data == PDF
        assert dl.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''%E4%BC%9A%E8%AD%B0%E8%B3%87%E6%96%99.pdf" in \
            dl.headers["Content-Disposition"]
        assert dl.headers["X-Content-Type-Options"] == "nosniff"


def test_rejected_file_shows_error_next_to_field_and_keeps_the_form(app):
    c = _login(app, make_staff("佐用町"))
    resp = c.post("/requests/new/consultation", content_type="multipart/form-data", data={
        "title": "入力を残したい件名", "body": "入力を残したい本文", "submit": "1",
        "attachments": [(io.BytesIO(b"MZ\x90\x00"), "報告.pdf")]})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="attachments-error"' in page and "一致しません" in page
    assert "入力を残したい件名" in page and "入力を残したい本文" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 0
    assert not os.path.exists(app.config["UPLOAD_FOLDER"]) or \
        os.listdir(app.config["UPLOAD_FOLDER"]) == []


def test_oversized_upload_is_refused_with_message(app):
    app.config["UPLOAD_MAX_BYTES"] = 2048
    owner = make_staff("佐用町")
    sreq = make_request(owner)
    c = _login(app, owner)
    resp = c.post(f"/requests/{sreq.id}/attachments", content_type="multipart/form-data",
                  data={"attachments": [(io.BytesIO(PDF + b"0" * 4096), "大きい.pdf")]},
                  follow_redirects=True)
    assert "ファイルが大きすぎます" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestAttachment)) == 0


def test_attachment_of_another_request_or_municipality_is_404(app):
    owner = make_staff("佐用町")
    mine = make_request(owner)
    other = make_request(make_staff("姫路市"))
    (att,) = add_attachments(other, other.filer, [("姫路の資料.pdf", PDF)])
    db.session.commit()
    c = _login(app, owner)
    assert c.get(f"/requests/{other.id}/attachments/{att.id}").status_code == 404
    # Pointing the URL at one's own request does not open another request's file.
    assert c.get(f"/requests/{mine.id}/attachments/{att.id}").status_code == 404
    liaison = _login(app, make_liaison("中播磨"))
    with liaison.get(f"/requests/{other.id}/attachments/{att.id}") as resp:
        assert resp.status_code == 200
