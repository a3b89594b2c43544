"""The bell, the list, preferences, admin pages (failed deliveries, chat rooms, WHO_HEARS)."""
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from supportdesk.extensions import db
from supportdesk.models import ChatRoom, InAppNotification, NotificationPreference, OutboxMessage
from supportdesk.notifications import notify
from supportdesk.notifications.outbox import dispatch_due
from tests.factories import PASSWORD, make_liaison, make_staff, make_user
from tests.notify_helpers import Receiver, announced_request, make_room

OPEN = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
SECRET_URL = "https://chat.example.lg.jp/hooks/TOPSECRETPATH12345"
SECRET = "hmac-secret-DO-NOT-SHOW-987"


def bell(client):
    page = client.get("/notifications").get_data(as_text=True)
    return int(page.split('data-testid="bell-count">', 1)[1].split("<", 1)[0])


def test_bell_counts_unread_and_marking_read_lowers_it(app, client, login_as):
    staff = make_staff("佐用町")
    sreq = announced_request(staff)
    for n in range(3):
        notify("request.reply", sreq=sreq, now=OPEN + timedelta(minutes=n), channels=("inapp",))
    db.session.commit()
    login_as(staff)
    assert bell(client) == 3
    first = db.session.scalars(sa.select(InAppNotification).order_by(InAppNotification.id)).first()
    assert client.post(f"/notifications/{first.id}/read").status_code == 302
    assert bell(client) == 2
    resp = client.post(f"/notifications/{first.id}/open")
    assert resp.headers["Location"] == f"/requests/{sreq.id}"
    client.post("/notifications/read-all")
    assert bell(client) == 0


def test_someone_elses_notification_is_404(app, client, login_as):
    owner, other = make_staff("佐用町"), make_staff("佐用町")
    notify("expert.removed", recipients=[owner], now=OPEN, channels=("inapp",))
    db.session.commit()
    n = db.session.scalar(sa.select(InAppNotification))
    login_as(other)
    assert client.post(f"/notifications/{n.id}/open").status_code == 404
    assert client.post(f"/notifications/{n.id}/read").status_code == 404
    assert db.session.get(InAppNotification, n.id).read_at is None


def test_mark_read_needs_a_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        staff = make_staff("佐用町")
        notify("expert.removed", recipients=[staff], now=OPEN, channels=("inapp",))
        db.session.commit()
        email = staff.email
        db.session.remove()
    # Requests run outside that app context: flask.g caches the CSRF token per context.
    client = app.test_client()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert client.post("/notifications/read-all").status_code == 400
    page = client.get("/notifications").get_data(as_text=True)
    assert 'data-testid="bell-count">1<' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/notifications/read-all", data={"csrf_token": token}).status_code == 302
    assert 'data-testid="bell-count">0<' in client.get("/notifications").get_data(as_text=True)


def test_preferences_page_saves_channels_and_digest(app, client, login_as):
    staff = make_staff("佐用町")
    login_as(staff)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'value="request.triage|email" checked' in page
    resp = client.post("/notifications/preferences", data={
        "on": ["request.triage|inapp"], "digest": "y"})
    assert resp.status_code == 302
    prefs = {(p.event_type, p.channel): p for p in db.session.scalars(
        sa.select(NotificationPreference).where(NotificationPreference.user_id == staff.id))}
    assert prefs[("request.triage", "email")].enabled is False
    assert ("request.triage", "inapp") not in prefs  # default on: no row
    assert prefs[("*", "email")].digest is True
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'value="request.triage|email" checked' not in page
    assert 'value="request.triage|inapp" checked' in page


def test_admin_sees_failed_deliveries_and_retries_one(app, client, login_as):
    admin = make_user("admin")
    app.config.update(NOTIFY_MAX_ATTEMPTS=2, NOTIFY_HTTP_TIMEOUT=0.5)
    with Receiver() as receiver:
        make_room(url=receiver.url, municipality_name="佐用町")
        notify("request.info_dept_shared", sreq=announced_request(make_staff("佐用町")), now=OPEN)
        db.session.commit()
        receiver.mode = "fail"
        dispatch_due(now=OPEN)
        dispatch_due(now=OPEN + timedelta(hours=1))
        [msg] = db.session.scalars(sa.select(OutboxMessage)).all()
        assert msg.status == "dead"
        # The admin works on this test's timeline (the retry button queues the message "now").
        with time_machine.travel(OPEN + timedelta(hours=1, minutes=30), tick=True):
            login_as(admin)
            page = client.get("/admin/notifications/failed").get_data(as_text=True)
            assert "HTTP 500" in page and "配信停止" in page and "127.0.0.1" not in page
            # The counts above the list name each state in words, never the stored code.
            assert "配信停止: 1" in page and "dead:" not in page
            assert client.post(f"/admin/notifications/{msg.id}/retry").status_code == 302
        db.session.refresh(msg)
        assert (msg.status, msg.attempts) == ("pending", 0)
        receiver.mode = "ok"
        assert dispatch_due(now=OPEN + timedelta(hours=2))["sent"] == 1
        assert list(receiver.delivered.values()) == [1]
    staff = make_staff("佐用町")
    login_as(staff)
    assert client.get("/admin/notifications/failed").status_code == 403
    assert client.post(f"/admin/notifications/{msg.id}/retry").status_code == 403


def test_chat_rooms_are_managed_by_admins_with_url_and_secret_masked(app, client, login_as, caplog):
    admin = make_user("admin")
    login_as(admin)
    from tests.factories import municipality

    sayo = municipality("佐用町")
    resp = client.post("/admin/chat-rooms/new", data={
        "name": "佐用町 企画・情報部門", "scope": "municipality", "municipality_id": sayo.id,
        "region_id": 0, "webhook_url": "http://127.0.0.1:8080/x", "secret": SECRET,
        "format": "logo_text", "active": "y"})
    assert "https:// で始まるURL" in resp.get_data(as_text=True)
    resp = client.post("/admin/chat-rooms/new", data={
        "name": "佐用町 企画・情報部門", "scope": "municipality", "municipality_id": sayo.id,
        "region_id": 0, "webhook_url": SECRET_URL, "secret": SECRET, "format": "logo_text",
        "active": "y"})
    assert resp.status_code == 302
    room = db.session.scalar(sa.select(ChatRoom))
    assert (room.webhook_url, room.secret, room.municipality_id) == (SECRET_URL, SECRET, sayo.id)
    for url in ("/admin/chat-rooms", f"/admin/chat-rooms/{room.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "TOPSECRETPATH" not in page and SECRET not in page
        assert "https://chat.example.lg.jp/••••" in page
    # Saving the edit form with blank URL and secret keeps both.
    resp = client.post(f"/admin/chat-rooms/{room.id}", data={
        "name": "佐用町 情報政策", "scope": "municipality", "municipality_id": sayo.id,
        "region_id": 0, "webhook_url": "", "secret": "", "format": "generic_json", "active": "y"})
    assert resp.status_code == 302
    db.session.refresh(room)
    assert (room.name, room.webhook_url, room.secret, room.format) == (
        "佐用町 情報政策", SECRET_URL, SECRET, "generic_json")
    assert "TOPSECRETPATH" not in caplog.text and SECRET not in caplog.text
    assert "TOPSECRETPATH" not in repr(room)
    client.post(f"/admin/chat-rooms/{room.id}/delete")
    assert db.session.scalar(sa.select(ChatRoom)) is None
    login_as(make_liaison("西播磨"))
    assert client.get("/admin/chat-rooms").status_code == 403


def test_who_hears_page_shows_the_table(app, client, login_as):
    login_as(make_user("admin"))
    page = client.get("/admin/notifications/who-hears").get_data(as_text=True)
    assert "request.info_dept_shared" in page and "市町の情報部門の職員とその市町のルーム" in page
    assert "マネージャー" in page
    # The page is the whole table: every event the desk sends is on it, with its words.
    from supportdesk.notifications.audiences import AUDIENCE_LABELS, WHO_HEARS, event_label

    for event, audiences in WHO_HEARS.items():
        assert f"<code>{event}</code>" in page and event_label(event) != event
        for audience in audiences:
            assert str(AUDIENCE_LABELS[audience]) in page


def test_webhook_urls_must_be_https_to_allowed_public_hosts(app):
    from supportdesk.services import ValidationFailed
    from supportdesk.services.notification_settings import save_chat_room

    admin = make_user("admin")
    base = dict(name="r", scope="prefecture", municipality_id=None, region_id=None, secret="",
                format="logo_text", active=True)
    for url in ("http://chat.example.lg.jp/h", "file:///etc/passwd", "https://127.0.0.1/h",
                "https://169.254.169.254/latest", "https://10.0.0.5/h",
                "https://user:pw@chat.example.lg.jp/h"):
        try:
            save_chat_room(admin, None, webhook_url=url, **base)
        except ValidationFailed as exc:
            assert exc.field == "webhook_url"
        else:
            raise AssertionError(f"accepted {url}")
        db.session.rollback()
    app.config["CHAT_WEBHOOK_ALLOWED_HOSTS"] = ("chat.example.lg.jp",)
    try:
        save_chat_room(admin, None, webhook_url="https://evil.example.com/h", **base)
    except ValidationFailed:
        db.session.rollback()
    else:
        raise AssertionError("host outside the allowlist accepted")
    room = save_chat_room(admin, None, webhook_url="https://chat.example.lg.jp/h", **base)
    assert room.id


def test_anonymous_callers_are_sent_to_login(app, client):
    for url in ("/notifications", "/notifications/preferences", "/announcements",
                "/announcements/new", "/admin/notifications/failed", "/admin/chat-rooms",
                "/admin/notifications/who-hears"):
        assert client.get(url).status_code == 302, url
    for url in ("/notifications/read-all", "/notifications/1/open", "/admin/notifications/1/retry"):
        assert client.post(url).status_code == 302, url
