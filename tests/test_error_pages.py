"""Nothing ends in a bare error: the 500 page (layout, reference id, log, rollback, English,
static fallback) and problem+json for every error under /api/v1, routed or not."""
import io
import logging
import re

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Theme
from tests.factories import PASSWORD, make_request, make_staff, make_user
from tests.test_api import assert_problem, bearer

REFERENCE = re.compile(r"E-[0-9A-F]{8}")


def _boom():
    # Work in the transaction that must not survive the error.
    db.session.add(Theme(code="boom", name_ja="失敗", name_en="Boom", sort_order=99))
    db.session.flush()
    raise RuntimeError("something unexpected")


@pytest.fixture
def app(make_app):
    # As in production: an unhandled error becomes the 500 answer instead of propagating.
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    app.add_url_rule("/boom", "boom", _boom)
    with app.app_context():
        yield app


def _login(app, user):
    c = app.test_client()
    assert c.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return c


def _references_logged(caplog):
    return [m for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info
            for m in REFERENCE.findall(r.getMessage())]


def test_unhandled_error_answers_the_japanese_500_page_in_the_layout(app, caplog):
    c = _login(app, make_staff("佐用町"))
    resp = c.get("/boom", headers={"Referer": "http://localhost/requests/mine"})
    assert resp.status_code == 500
    page = resp.get_data(as_text=True)
    assert "Internal Server Error" not in page
    assert "エラーが発生しました" in page
    assert "ログアウト" in page and 'aria-label="メインメニュー"' in page  # the normal layout
    assert 'href="/"' in page and "ホームへ戻る" in page
    assert 'href="http://localhost/requests/mine"' in page and "前の画面に戻る" in page
    assert "支援デスク" in page
    shown = REFERENCE.findall(page)
    assert len(set(shown)) == 1
    assert shown[0] in _references_logged(caplog)  # the same id is in the log, with the traceback
    db.session.expire_all()
    assert db.session.scalar(sa.select(Theme).where(Theme.code == "boom")) is None  # rolled back


def test_the_back_link_is_offered_only_for_our_own_pages(app):
    page = app.test_client().get("/boom", headers={"Referer": "https://evil.example/x"}).get_data(
        as_text=True)
    assert "evil.example" not in page and "前の画面に戻る" not in page
    assert "ホームへ戻る" in page


def test_500_page_is_english_for_an_english_user(app):
    c = _login(app, make_user("admin", locale="en"))
    page = c.get("/boom").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "An error occurred" in page and "Back to home" in page
    assert "エラーが発生しました" not in page
    assert REFERENCE.search(page)


def test_when_the_layout_itself_fails_a_static_japanese_page_answers(app, monkeypatch, caplog):
    from supportdesk.views import errors

    def broken(*args, **kwargs):
        raise RuntimeError("the layout is broken too")

    monkeypatch.setattr(errors, "render_template", broken)
    resp = app.test_client().get("/boom")
    assert resp.status_code == 500 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "Internal Server Error" not in page
    assert "エラーが発生しました" in page and 'href="/"' in page
    shown = REFERENCE.findall(page)
    assert shown and shown[0] in _references_logged(caplog)


def test_api_server_error_is_problem_json_with_the_reference(app, monkeypatch, caplog):
    from supportdesk.api import reference

    def broken(*args, **kwargs):
        raise RuntimeError("serialisation failed")

    monkeypatch.setattr(reference, "dump", broken)
    resp = app.test_client().get("/api/v1/me", headers=bearer(make_staff("佐用町")))
    body = assert_problem(resp, 500)
    assert REFERENCE.fullmatch(body["reference"])
    assert body["reference"] in body["detail"]
    assert body["reference"] in _references_logged(caplog)


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/requests/abc",
                                  "/api/v1/requests/1.5", "/api/v1/visits/-3",
                                  "/api/v1/requests/1/nothing"])
def test_api_unknown_routes_answer_problem_json_404(app, path):
    headers = bearer(make_staff("佐用町"))
    body = assert_problem(app.test_client().get(path, headers=headers), 404)
    assert body["instance"] == path


def test_api_wrong_method_answers_problem_json_405_with_allow(app):
    resp = app.test_client().delete("/api/v1/requests/1", headers=bearer(make_staff("佐用町")))
    assert_problem(resp, 405)
    assert set(resp.headers["Allow"].split(", ")) >= {"GET", "PATCH"}


def test_api_too_large_answers_problem_json_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1000)
    with app.app_context():
        staff = make_staff("佐用町")
        sreq = make_request(staff)
        resp = app.test_client().post(f"/api/v1/requests/{sreq.id}/attachments",
                                      headers=bearer(staff, scope="write"),
                                      data={"file": (io.BytesIO(b"x" * 5000), "a.txt")},
                                      content_type="multipart/form-data")
        assert_problem(resp, 413)


def test_ui_wrong_method_answers_a_japanese_page(app):
    c = _login(app, make_staff("佐用町"))
    resp = c.get("/logout")
    assert resp.status_code == 405
    page = resp.get_data(as_text=True)
    assert "Method Not Allowed" not in page and "この操作はできません" in page
