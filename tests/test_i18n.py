"""Japanese first, English per user: the catalogue in supportdesk/translations is really used.

These tests use an app with no application context held open by the test (Flask-Babel caches
the locale on `g`): each request gets its own context and `g`, exactly as in production.
"""
import os
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
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


def test_every_message_in_the_code_is_in_the_catalogue():
    """Extract the sources afresh, as babel.cfg says (in memory): a new _()/N_() string that
    nobody extracted would fall back to Japanese in the English UI while the .po looks complete."""
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.extract import extract_from_dir

    root = os.path.join(os.path.dirname(__file__), "..")
    with open(os.path.join(root, "babel.cfg")) as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
                "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            root, method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    po = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue("messages.po") if m.id}
    missing = sorted(found - po)
    assert not missing, f"run the extraction in babel.cfg and translate: {missing[:20]}"


JAPANESE = re.compile(r"[\u3040-\u30fa\u30fc-\u30ff\u3400-\u9fff]+")  # kana and kanji, not "・"


class _Landmarks(HTMLParser):
    """Collects the text of navigation and headings: nav, h1-h4, caption, th, legend, button."""

    TAGS = {"nav", "h1", "h2", "h3", "h4", "caption", "th", "legend", "button"}

    def __init__(self):
        super().__init__()
        self.depth, self.texts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.TAGS:
            self.depth += 1
            self.texts.append("")

    def handle_endtag(self, tag):
        if tag in self.TAGS and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.texts[-1] += data


def _data_names():
    """Japanese that is data, not interface: names, titles, places the users typed or seeded."""
    from supportdesk.models import Municipality, Region, SupportRequest, User, Visit
    from supportdesk.models.engagement import Engagement
    from supportdesk.models.support_action import SupportAction

    names = set()
    for column in (Municipality.name, Municipality.kana, Region.name, User.display_name,
                   User.department, SupportRequest.title, Visit.title, Engagement.title,
                   SupportAction.target_department, SupportAction.vendor_name):
        names.update(v for v in db.session.scalars(sa.select(column)) if v)
    return sorted(names, key=len, reverse=True)


def _untranslated(html, names):
    parser = _Landmarks()
    parser.feed(html)
    found = []
    for text in parser.texts:
        for name in names:
            text = text.replace(name, "")
        # The language switch names Japanese in Japanese on purpose.
        text = text.replace("日本語", "")
        found += [f"{m} in {text.strip()[:60]!r}" for m in JAPANESE.findall(text)]
    return found


def test_main_pages_in_english_show_no_untranslated_japanese(fresh_app, client):
    from supportdesk.demo import DEMO_SEEDERS
    from supportdesk.demo.users import DEMO_PASSWORD
    from supportdesk.models import Municipality, SupportRequest, User

    with fresh_app.app_context():
        for seeder in DEMO_SEEDERS:
            seeder()
        db.session.execute(sa.update(User).values(locale="en"))
        db.session.commit()
        names = _data_names()
        sayo = db.session.scalar(sa.select(Municipality).where(Municipality.name == "佐用町"))
        # A request of 佐用町 that has a timeline, so the request page shows states and events.
        sreq_id = db.session.scalar(
            sa.select(SupportRequest.id).where(SupportRequest.municipality_id == sayo.id,
                                               SupportRequest.state != "draft")
            .order_by(SupportRequest.id))
        sayo_code = sayo.code
    pages = ["/", f"/municipalities/{sayo_code}", f"/requests/{sreq_id}", "/requests/mine",
             "/requests/new", "/experts/assignments", "/calendar/", "/visits/",
             "/visits/engagements/", "/rounds/", "/cases/", "/reports/", "/reports/dashboard",
             "/admin/users", "/admin/jobs/", "/account/tokens/", "/announcements",
             "/announcements/new", "/municipalities/"]
    seen = {}
    for email in ("sayo.joho@demo.example.jp", "liaison.nishiharima@demo.example.jp",
                  "expert@demo.example.jp", "manager@demo.example.jp", "admin@demo.example.jp"):
        client.post("/logout")
        assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}
                           ).status_code == 302
        for path in pages:
            resp = client.get(path, follow_redirects=True)
            if resp.status_code != 200:
                continue  # not this role's page (404 for what it may not see)
            html = resp.get_data(as_text=True)
            assert '<html lang="en">' in html, (email, path)
            seen.setdefault(path, set()).add(email)
            leftover = _untranslated(html, names)
            assert not leftover, f"{email} {path}: untranslated {sorted(set(leftover))}"
    # Every page was checked by at least one role, the request page by the staff and liaison.
    assert set(seen) == set(pages)
    assert {"sayo.joho@demo.example.jp", "liaison.nishiharima@demo.example.jp"} <= \
        seen[f"/requests/{sreq_id}"]


def test_every_label_table_is_in_the_catalogue():
    """Labels kept in Python tables are shown through _(): each needs an English translation."""
    from supportdesk import scheduler, workflow
    from supportdesk.models import (announcement, engagement, expert_assignment, notification,
                                    org, request_event, support_request, visit)
    from supportdesk.notifications import audiences
    from supportdesk.services.requests import links
    from supportdesk.services.reports import monthly as monthly_report
    from supportdesk.services.reports import figures as reports
    from supportdesk.services.requests import fields as request_fields
    from supportdesk.services.visits import rounds
    from supportdesk.services.visits import lifecycle as visits
    from supportdesk.views import calendar

    tables = [workflow.STATE_LABELS, workflow.ACTION_LABELS, support_request.KIND_LABELS,
              support_request.LECTURE_FORMATS, support_request.AUDIENCES, visit.VISIT_KINDS,
              visit.VISIT_STATES, engagement.ENGAGEMENT_STATES,
              request_event.EVENT_KINDS, request_event.EVENT_ACTIONS,
              expert_assignment.ASSIGNMENT_STATUSES,
              reports.FIGURE_LABELS,
              links.LINK_KINDS, rounds.STATUS_LABELS, visits.ACTION_LABELS,
              request_fields.FIELD_LABELS,
              announcement.ANNOUNCEMENT_STATES, announcement.DEPARTMENT_CHOICES,
              notification.ROOM_SCOPES, audiences.EVENT_LABELS, audiences.MESSAGE_ONLY_LABELS]
    labels = {str(v) for table in tables for v in table.values()}
    labels |= set(org.MUNICIPALITY_KINDS) | set(org.POPULATION_BANDS)
    labels |= set(announcement.ANNOUNCEMENT_CATEGORIES)
    labels |= set(calendar.WEEKDAYS) | {job.description for job in scheduler.JOBS}
    labels |= {label for _s, _k, label, _f in monthly_report.SCALAR_LABELS}
    translated = {m.id: m.string for m in _catalogue("messages.mo") if m.id}
    missing = sorted(label for label in labels if not translated.get(label))
    assert not missing, f"mark with N_ and translate: {missing}"


def test_municipality_page_and_report_breakdown_show_labels_in_english(fresh_app, client,
                                                                        login_as):
    with fresh_app.app_context():
        from supportdesk.models import Municipality

        sayo = db.session.scalar(sa.select(Municipality).where(Municipality.name == "佐用町"))
        sayo.population_band = "5万人未満"
        db.session.commit()
    login_as(make_user, "manager", locale="en")
    page = client.get("/municipalities/28501").get_data(as_text=True)
    assert "<dd>Town</dd>" in page and "Under 50,000" in page and "5万人未満" not in page
    page = client.get("/reports/municipality/28501/2025").get_data(as_text=True)
    assert "Annual activity sheet" in page and "FY2025" in page and "令和" not in page


def test_chat_room_list_shows_the_scope_label_not_the_code(fresh_app, client, login_as):
    with fresh_app.app_context():
        from supportdesk.models import ChatRoom

        for scope in ("municipality", "region", "prefecture"):
            db.session.add(ChatRoom(scope=scope, name=f"room-{scope}",
                                    webhook_url="https://chat.example.jp/hook", format="logo_text"))
        db.session.commit()
    login_as(make_user, "admin")
    page = client.get("/admin/chat-rooms").get_data(as_text=True)
    scopes = re.findall(r'<td data-testid="room-scope">([^<]*)</td>', page)
    assert sorted(scopes) == sorted(["市町(企画・情報部門)", "圏域リエゾンチーム", "県(本庁チーム)"])
    assert set(re.findall(r'<td data-testid="room-format">([^<]*)</td>', page)) == {
        "LoGoチャット形式(テキスト)"}
    client.post("/logout")
    login_as(make_user, "admin", locale="en")
    page = client.get("/admin/chat-rooms").get_data(as_text=True)
    scopes = re.findall(r'<td data-testid="room-scope">([^<]*)</td>', page)
    assert sorted(scopes) == ["Municipality (planning and information department)",
                              "Prefecture (central team)", "Regional liaison team"]
    assert set(re.findall(r'<td data-testid="room-format">([^<]*)</td>', page)) == {
        "LoGo chat style (text)"}
    assert "logo_text" not in page
