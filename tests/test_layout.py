"""The layout every page wears (base.html): its menu, its static pieces and the bell are cached
or read with the session lookup, and still show a change at once: an admin's change of the
desk in another worker, a role change, a new or read notification."""
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import render_template_string
from flask_login import login_required

from supportdesk import navigation, permissions
from supportdesk.extensions import db
from supportdesk.models import InAppNotification
from supportdesk.notifications import notify
from supportdesk.roles import Role
from supportdesk.services.accounts.users import update_user
from supportdesk.services.announcements import compose_announcement
from tests.factories import (PASSWORD, make_expert, make_liaison, make_staff, make_user,
                             municipality)
from tests.notify_helpers import announced_request
from tests.test_page_costs import _statements

OPEN = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
LAYOUT_ONLY = '{% extends "base.html" %}{% block content %}{% endblock %}'
# Entries of the menu that only the prefecture's side may use.
LIAISON_ONLY = ("/queue/", "/rounds/", "/requests/templates/", "/mail/inbound", "/meetings",
                "/status/", "/reports/", "/handover")


def _login(client, user):
    """`user` or their e-mail (read before the test's own transaction ends: outside a request
    it would begin a writing one, and another worker's login could not write)."""
    email = user if isinstance(user, str) else user.email
    client.post("/logout")
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302


def menu(page):
    """The hrefs of the main menu, in order."""
    nav = page.split('<ul class="nav">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', nav)


def bell(page):
    return int(page.split('data-testid="bell-count">', 1)[1].split("<", 1)[0])


def test_the_menu_kept_per_role_is_the_permission_check_of_every_entry(app):
    """nav_items keeps one list per role: right only while can() on a kind name depends on the
    role alone. Users of one role that differ in everything else get the same entries."""
    people = [make_staff("佐用町"), make_staff("豊岡市", info_dept=True), make_liaison("西播磨"),
              make_liaison("但馬", central=True, is_team_lead=True), make_expert(),
              make_user("manager"), make_user("admin")]
    for user in people:
        expected = [item for item in sorted(navigation.NAV, key=lambda i: i.order)
                    if permissions.can(user, item.action, item.kind)]
        assert navigation.nav_items(user) == expected, user.role
    assert {user.role for user in people} == set(Role)
    inactive = make_staff("佐用町", active=False)
    assert navigation.nav_items(inactive) == []


def test_a_municipal_users_menu_never_shows_the_prefectures_entries(app, client):
    staff, liaison = make_staff("佐用町"), make_liaison("西播磨")
    for user, prefecture_side in ((liaison, True), (staff, False), (liaison, True), (staff, False)):
        _login(client, user)  # one process: the liaison's menu is cached when staff come
        entries = menu(client.get("/notifications").get_data(as_text=True))
        shown = [href for href in LIAISON_ONLY if href in entries]
        if prefecture_side:
            assert "/queue/" in shown and "/requests/mine" not in entries
        else:
            assert shown == [] and "/requests/mine" in entries and "/requests/new" in entries


def test_the_menu_marks_the_current_page_and_follows_a_role_change(app, client):
    admin, user = make_user("admin"), make_liaison("西播磨")
    _login(client, user)
    page = client.get("/cases/").get_data(as_text=True)
    assert '<a href="/cases/" aria-current="page">' in page and "/queue/" in menu(page)
    page = client.get("/calendar/").get_data(as_text=True)
    assert '<a href="/calendar/" aria-current="page">' in page
    assert '<a href="/cases/" aria-current="page">' not in page
    update_user(admin, user, role=Role.MANAGER)
    db.session.commit()
    _login(client, user)  # a role change ends the sessions
    entries = menu(client.get("/cases/").get_data(as_text=True))
    assert "/queue/" in entries and "/requests/templates/" not in entries  # a manager's menu


def test_the_desk_profile_changed_in_one_worker_shows_at_once_in_another(app, make_app, client):
    """The layout's pieces (title, brand, colour) and the menu's labels are cached per process;
    the admin's change bumps the reference version, which the other worker reads with its
    next session lookup."""
    admin, liaison = make_user("admin").email, make_liaison("西播磨").email
    db.session.rollback()  # end this worker's transaction (SQLite: let the other worker write)
    other = make_app()
    reader = other.test_client()
    _login(reader, liaison)
    for _ in range(2):  # the second view is served from the caches
        page = reader.get("/cases/").get_data(as_text=True)
        assert "desk.css?c=0b5cab" in page and '<a href="/municipalities/">市町</a>' in page
        assert ">市町DX支援デスク</a>" in page and "市町村" not in page
    _login(client, admin)
    assert client.post("/admin/desk", data={
        "desk_name": "市町村DX支援デスク", "prefecture_name": "試験県",
        "municipalities_word": "市町村", "municipalities_word_en": "municipalities",
        "footer": "試験県 フッター", "central_team": "県庁チーム",
        "mail_sender": "desk@pref.example.lg.jp", "colour": "#123abc"}).status_code == 302
    db.session.rollback()
    page = reader.get("/cases/").get_data(as_text=True)
    assert "desk.css?c=123abc" in page and "c=0b5cab" not in page
    assert '<a href="/municipalities/">市町村</a>' in page
    assert ">市町村DX支援デスク</a>" in page and "| 市町村DX支援デスク</title>" in page
    assert "試験県 フッター" in page


def test_a_new_notification_shows_on_the_next_page_of_another_worker(app, make_app):
    staff = make_staff("佐用町")
    sreq = announced_request(staff)
    email, sreq_id = staff.email, sreq.id
    db.session.rollback()
    other = make_app()
    reader = other.test_client()
    _login(reader, email)
    assert bell(reader.get("/cases/").get_data(as_text=True)) == 0
    notify("request.reply", sreq=db.session.get(type(sreq), sreq_id), now=OPEN,
           channels=("inapp",))
    db.session.commit()
    assert bell(reader.get("/cases/").get_data(as_text=True)) == 1
    db.session.execute(sa.update(InAppNotification).values(read_at=OPEN))
    db.session.commit()
    assert bell(reader.get("/cases/").get_data(as_text=True)) == 0


def test_a_page_that_marks_its_notification_read_shows_the_lowered_count(app, client):
    """The count read with the session lookup is not used once the request has written: opening
    an announcement marks its notification read, and the same page's bell says so."""
    liaison = make_liaison("西播磨")
    reader = make_staff("佐用町", info_dept=True)
    a = compose_announcement(liaison, title="研修のご案内", body="12月に開催します。",
                             category="研修・セミナー", now=OPEN,
                             municipality_ids=[municipality("佐用町").id])
    db.session.commit()
    _login(client, reader)
    assert bell(client.get("/cases/").get_data(as_text=True)) == 1
    assert bell(client.get(f"/announcements/{a.id}").get_data(as_text=True)) == 0


def test_the_layout_adds_no_statement_to_the_session_lookup(app, client):
    """A page with an empty content block: the session lookup (with the bell's count and the
    reference version in it) is its only statement, for a municipal user too (the name of the
    municipality comes from the cached list)."""
    @login_required
    def layout_only():
        return render_template_string(LAYOUT_ONLY)

    app.add_url_rule("/_test/layout", "layout_only", layout_only)
    for user in (make_liaison("西播磨"), make_staff("佐用町")):
        _login(client, user)
        seen = _statements(client, "/_test/layout")  # after a warm-up: the caches fill
        page = client.get("/_test/layout").get_data(as_text=True)
        assert len(seen) == 1 and seen[0].lstrip().startswith("SELECT user_sessions."), seen
        assert user.display_name in page and bell(page) == 0
        if user.role == Role.STAFF:
            assert f"{user.display_name}(佐用町)" in page
