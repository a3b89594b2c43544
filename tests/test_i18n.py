"""Japanese first, English per user: the catalogue in supportdesk/translations is really used.

These tests use an app with no application context held open by the test (Flask-Babel caches
the locale on `g`): each request gets its own context and `g`, exactly as in production.
"""
import os

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import supportdesk
from supportdesk.extensions import db
from tests.factories import PASSWORD, make_staff, make_user

CATALOGUE = os.path.join(os.path.dirname(supportdesk.__file__), "translations", "en",
                         "LC_MESSAGES")


@pytest.fixture
def fresh_app(make_app):
    return make_app()


@pytest.fixture
def client(fresh_app):
    return fresh_app.test_client()


@pytest.fixture
def login_as(fresh_app, client):
    def _login(factory, *args, **kwargs):
        with fresh_app.app_context():
            user = factory(*args, **kwargs)
            email, user_id = user.email, user.id
        resp = client.post("/login", data={"email": email, "password": PASSWORD})
        assert resp.status_code == 302
        return user_id

    return _login


def test_default_is_japanese(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="ja">' in page
    assert "市町DX支援デスク" in page and "メールアドレス" in page and ">ログイン<" in page
    assert "Log in" not in page


def test_anonymous_choice_of_english_shows_login_page_in_english(client):
    resp = client.post("/language/en", data={"next": "/login"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    for text in ("Municipal DX Support Desk", "Email address", "Password", ">Log in<",
                 "Skip to content"):
        assert text in page, text
    assert "メールアドレス" not in page
    # Validation messages follow the language too.
    page = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "Enter an email address." in page
    client.post("/language/ja", data={"next": "/login"})
    assert "メールアドレス" in client.get("/login").get_data(as_text=True)


def test_login_required_message_is_translated(client):
    page = client.get("/admin/users", follow_redirects=True).get_data(as_text=True)
    assert "ログインしてください。" in page
    client.post("/language/en", data={"next": "/login"})
    page = client.get("/admin/users", follow_redirects=True).get_data(as_text=True)
    assert "Please log in." in page


def test_user_with_english_locale_sees_navigation_in_english(client, login_as):
    login_as(make_user, "admin", locale="en")
    page = client.get("/admin/users").get_data(as_text=True)
    for text in ("Municipalities", "Admin", "Log out", "Change password", "Users",
                 "Audit log", "Permission table"):
        assert text in page, text
    assert "ログアウト" not in page
    # Messages from services are translated as well.
    page = client.post("/admin/users/new", data={
        "email": "x@example.jp", "display_name": "X", "role": "municipal_staff",
        "municipality_id": "0", "locale": "en", "active": "y"}).get_data(as_text=True)
    assert "Municipal staff need a municipality." in page


def test_japanese_user_sees_navigation_in_japanese(client, login_as):
    login_as(make_staff, "佐用町")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "ログアウト" in page and "市町" in page and "Log out" not in page


def test_language_switch_is_saved_for_the_user(fresh_app, client, login_as):
    from supportdesk.models import User

    user_id = login_as(make_staff, "佐用町")
    assert "ログアウト" in client.get("/municipalities/28501").get_data(as_text=True)
    client.post("/language/en", data={"next": "/"})
    with fresh_app.app_context():
        assert db.session.get(User, user_id).locale == "en"
    assert "Log out" in client.get("/municipalities/28501").get_data(as_text=True)


def test_compiled_catalogue_matches_the_po_file():
    with open(os.path.join(CATALOGUE, "messages.po"), "rb") as fh:
        po = {m.id: m.string for m in read_po(fh) if m.id and m.string}
    with open(os.path.join(CATALOGUE, "messages.mo"), "rb") as fh:
        mo = {m.id: m.string for m in read_mo(fh) if m.id and m.string}
    assert po == mo, "run: pybabel compile -d supportdesk/translations"
    assert len(po) >= 150


def _catalogue(name):
    with open(os.path.join(CATALOGUE, name), "rb") as fh:
        return list(read_po(fh) if name.endswith(".po") else read_mo(fh))


def test_compiled_catalogue_is_not_older_than_the_po_file():
    po, mo = (os.path.join(CATALOGUE, n) for n in ("messages.po", "messages.mo"))
    assert os.path.exists(mo), "run: pybabel compile -d supportdesk/translations"
    # Both are committed; a checkout gives them the same age, an edited .po is newer.
    assert os.path.getmtime(mo) >= os.path.getmtime(po) - 1, \
        "run: pybabel compile -d supportdesk/translations"
    mo_ids = {m.id for m in _catalogue("messages.mo") if m.id}
    po_ids = {m.id for m in _catalogue("messages.po") if m.id}
    assert po_ids == mo_ids, "run: pybabel compile -d supportdesk/translations"


def test_every_message_has_an_english_translation():
    po = [m for m in _catalogue("messages.po") if m.id]
    untranslated = [m.id for m in po if not m.string]
    assert not untranslated, f"translate these in messages.po: {untranslated[:20]}"
    fuzzy = [m.id for m in po if m.fuzzy]
    assert not fuzzy, f"fuzzy translations are not used at run time: {fuzzy[:20]}"
    assert len(po) >= 700


def test_the_template_holds_every_message_of_the_po_file():
    """messages.pot and messages.po come from the same extraction (no stale msgids)."""
    with open(os.path.join(CATALOGUE, "..", "..", "messages.pot"), "rb") as fh:
        pot = {m.id for m in read_po(fh) if m.id}
    po = {m.id for m in _catalogue("messages.po") if m.id}
    assert pot == po, "run: pybabel update (see babel.cfg)"
