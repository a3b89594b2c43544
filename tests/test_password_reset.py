"""Self-service password reset by e-mailed link, with a real SMTP server on loopback: the request
(same answer for every address, throttled), the mail (urgent, e-mail only, the link minted at
sending time), the link (single use, expiring, dead after any password change or deactivation)
and the reset form (policy, CSRF, sessions ended, English)."""
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from supportdesk.config import env_overrides
from supportdesk.extensions import db
from supportdesk.models import (AuditLog, InAppNotification, NotificationPreference,
                                OutboxMessage, PasswordResetRequest, User)
from supportdesk.notifications import announce_pending, notify
from supportdesk.notifications.channels.email import SECRET_SLOT
from supportdesk.notifications.outbox import drain
from supportdesk.services.accounts.auth import verify_password
from supportdesk.services.accounts.password_reset import make_reset_token
from supportdesk.services.accounts.users import update_user
from supportdesk.timeutil import utcnow
from tests.factories import PASSWORD, make_staff, make_user
from tests.notify_helpers import make_room, notify_config

BASE = "https://desk.example.lg.jp"
SENT = ("入力されたメールアドレスが登録されている場合は、パスワード再設定用のリンクを"
        "お送りしました。メールをご確認ください。")
INVALID = "リンクが無効です"
NEW_PASSWORD = "はるかぜ の 朝 に 2026"
LINK = re.compile(re.escape(BASE) + r"/password/reset/([A-Za-z0-9_.\-]+)")
# Saturday 2026-11-28 23:00 in Tokyo: outside office hours, not a business day.
SATURDAY_NIGHT = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)


@pytest.fixture
def app(make_app, smtp):  # smtp: the loopback SMTP sink of tests/conftest.py
    app = make_app(**notify_config(smtp.port))
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()


def forgot(client, email, addr="198.51.100.7"):
    return client.post("/password/forgot", data={"email": email},
                       environ_base={"REMOTE_ADDR": addr})


def reset(client, path, password, confirm=None):
    return client.post(path, data={"new_password": password,
                                   "confirm": password if confirm is None else confirm})


def login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def logged_in(client):
    return client.get("/account/password").status_code == 200


def mails(smtp):
    """Deliver what is due through the dispatcher; the mails the SMTP server received."""
    drain()
    return smtp.sink.messages


def text_and_html(mail):
    return (mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content())


def link_path(mail):
    """The reset link of a mail, as a path for the test client (it must start with BASE_URL)."""
    text, html = text_and_html(mail)
    found = LINK.search(text)
    assert found, text
    assert f'href="{found.group(0)}"' in html  # the HTML alternative links the same URL
    return found.group(0)[len(BASE):]


def requested_link(client, smtp, user):
    assert forgot(client, user.email).status_code == 302
    got = mails(smtp)
    assert got and got[-1][0] == [user.email]
    return link_path(got[-1][1])


def error_of(page, field_id):
    found = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page)
    return found.group(1) if found else None


def audit(action):
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)
                              .order_by(AuditLog.id)).all()


# --- the whole path -------------------------------------------------------------

def test_known_user_gets_the_mail_sets_a_password_and_every_old_session_ends(app, client, smtp,
                                                                             caplog):
    caplog.set_level(logging.DEBUG)
    user = make_staff(email="taro@town.sayo.example.jp", name="佐用 太郎")
    earlier = app.test_client()
    assert login(earlier, user.email, PASSWORD).status_code == 302 and logged_in(earlier)

    page = client.get("/login").get_data(as_text=True)
    assert "パスワードをお忘れの方" in page and 'href="/password/forgot"' in page
    assert "メールアドレス" in client.get("/password/forgot").get_data(as_text=True)
    resp = forgot(client, "Taro@Town.Sayo.example.jp")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert SENT in client.get("/login").get_data(as_text=True)

    # One outbox row, e-mail only, urgent, and no usable link stored in it.
    [row] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert (row.channel, row.user_id, row.urgent, row.status) == ("email", user.id, True,
                                                                  "pending")
    assert row.link == f"{BASE}/password/reset/{SECRET_SLOT}"
    assert SECRET_SLOT in row.body and SECRET_SLOT in row.html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InAppNotification)) == 0

    [(rcpts, mail)] = mails(smtp)
    assert rcpts == ["taro@town.sayo.example.jp"]
    assert mail["Subject"] == "【市町DX支援デスク】パスワード再設定のご案内"
    text, html = text_and_html(mail)
    assert "佐用 太郎 様" in text and "有効期限は30分" in text
    assert "心当たりがない場合は、このメールを無視してください" in text
    assert "パスワードを再設定する</a>" in html
    path = link_path(mail)
    token = path.rsplit("/", 1)[1]

    form = client.get(path)
    assert form.status_code == 200 and "新しいパスワードの設定" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"  # the token stays on this page
    resp = reset(client, path, NEW_PASSWORD)
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "パスワードを再設定しました。新しいパスワードでログインしてください。" in page
    assert not logged_in(client)  # not logged in automatically

    assert not logged_in(earlier)  # the session from before the reset is over
    assert login(app.test_client(), user.email, PASSWORD).status_code == 200  # old: refused
    fresh = app.test_client()
    assert login(fresh, user.email, NEW_PASSWORD).status_code == 302 and logged_in(fresh)

    # Single use: the same link now shows the "ask again" page.
    again = client.get(path)
    assert again.status_code == 404
    body = again.get_data(as_text=True)
    assert INVALID in body and 'href="/password/forgot"' in body
    assert reset(client, path, "another long passphrase 42").status_code == 404
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302

    # The audit trail, and the token nowhere at rest or in the logs.
    assert [a.actor_id for a in audit("password_reset.requested")] == [user.id]
    [done] = audit("password_reset.completed")
    assert (done.actor_id, done.target_id) == (user.id, str(user.id))
    details = " ".join(str(a.detail) for a in db.session.scalars(sa.select(AuditLog)))
    db.session.refresh(row)
    assert row.status == "sent"
    stored = " ".join(str(v) for v in (row.subject, row.body, row.html, row.link, row.payload,
                                       row.last_error, row.idempotency_key))
    assert token not in details and token not in stored and token not in caplog.text


def test_same_answer_for_unknown_and_inactive_addresses_and_no_mail(app, client, smtp):
    known = make_staff()
    inactive = make_staff(active=False)
    answers = []
    for email in (known.email, "nobody@town.example.jp", inactive.email):
        resp = forgot(app.test_client(), email)
        answers.append((resp.status_code, resp.headers.get("Location"),
                        resp.get_data(as_text=True)))
    assert answers[0] == answers[1] == answers[2]
    for email in ("nobody@town.example.jp", inactive.email):
        c = app.test_client()
        forgot(c, email)
        assert SENT in c.get("/login").get_data(as_text=True)
    assert [rcpts for rcpts, _mail in mails(smtp)] == [[known.email]]
    # Each request is recorded (the throttle counts unknown addresses too) and audited.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetRequest)) == 5
    assert [a.detail["mailed"] for a in audit("password_reset.requested")] == [
        True, False, False, False, False]


def test_a_malformed_address_is_a_form_error_not_a_request(app, client, smtp):
    resp = forgot(client, "not-an-address")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert error_of(page, "email") == "メールアドレスの形式が正しくありません。"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetRequest)) == 0


# --- the link -------------------------------------------------------------------

def test_link_expires_after_the_configured_minutes(make_app, smtp):
    app = make_app(**notify_config(smtp.port), PASSWORD_RESET_MINUTES=10)
    with app.app_context():
        user = make_staff()
        client = app.test_client()
        path = requested_link(client, smtp, user)
        assert "有効期限は10分" in text_and_html(smtp.sink.messages[-1][1])[0]
        sent_at = utcnow()
        with time_machine.travel(sent_at + timedelta(minutes=9), tick=False):
            assert client.get(path).status_code == 200
        with time_machine.travel(sent_at + timedelta(minutes=11), tick=False):
            resp = client.get(path)
            assert resp.status_code == 404 and INVALID in resp.get_data(as_text=True)
            assert reset(client, path, NEW_PASSWORD).status_code == 404
        assert login(app.test_client(), user.email, PASSWORD).status_code == 302
        db.session.remove()


def test_the_validity_period_comes_from_the_environment():
    assert env_overrides({"SUPPORTDESK_PASSWORD_RESET_MINUTES": "45"}) == {
        "PASSWORD_RESET_MINUTES": 45}


def test_link_dies_when_an_admin_sets_a_password(app, client, smtp):
    user = make_staff()
    admin = make_user("admin")
    path = requested_link(client, smtp, user)
    update_user(admin, user, password="an admin chose this passphrase")
    db.session.commit()
    assert client.get(path).status_code == 404
    assert reset(client, path, NEW_PASSWORD).status_code == 404
    assert login(app.test_client(), user.email, "an admin chose this passphrase").status_code == 302


def test_link_dies_when_the_user_changes_the_password_or_asks_again_and_uses_the_new_link(
        app, client, smtp, login_as):
    user = make_staff()
    first = requested_link(client, smtp, user)
    second = requested_link(client, smtp, user)
    assert client.get(first).status_code == 200 and client.get(second).status_code == 200
    assert reset(client, second, NEW_PASSWORD).status_code == 302
    assert client.get(first).status_code == 404  # the older link died with the old password

    third = requested_link(client, smtp, user)
    login_as(user, NEW_PASSWORD)
    assert client.post("/account/password", data={
        "current_password": NEW_PASSWORD, "new_password": "yet another passphrase 7",
        "confirm": "yet another passphrase 7"}).status_code == 302
    assert client.get(third).status_code == 404


def test_link_dies_when_the_account_is_deactivated(app, client, smtp):
    user = make_staff()
    admin = make_user("admin")
    path = requested_link(client, smtp, user)
    update_user(admin, user, active=False)
    db.session.commit()
    assert client.get(path).status_code == 404
    assert reset(client, path, NEW_PASSWORD).status_code == 404


def test_mail_for_an_account_deactivated_before_sending_is_dropped(app, client, smtp,
                                                                  login_as):
    user = make_staff()
    admin = make_user("admin")
    assert forgot(client, user.email).status_code == 302
    update_user(admin, user, active=False)
    db.session.commit()
    assert mails(smtp) == []
    [row] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert row.status == "dead" and row.last_error.startswith("dropped:")
    # The admin's failed-delivery page shows the row without any link in it.
    login_as(admin)
    page = client.get("/admin/notifications/failed").get_data(as_text=True)
    assert "パスワード再設定のご案内" in page and "/password/reset/" not in page


@pytest.mark.parametrize("token", ["%20", "x", "eyJ1IjoxfQ.forged.signature"])
def test_malformed_or_forged_links_are_refused(app, client, token):
    user = make_staff()
    assert client.get(f"/password/reset/{token}").status_code == 404
    # A token signed with another key (or salt) does not open the form either.
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("another key", salt="supportdesk.password-reset.v1").dumps(
        {"u": user.id, "f": "0" * 24})
    assert client.get(f"/password/reset/{forged}").status_code == 404


# --- the reset form -------------------------------------------------------------

def test_mismatched_or_weak_passwords_show_japanese_errors_beside_the_field(app, client):
    user = make_staff(email="hanako@town.sayo.example.jp")
    path = f"/password/reset/{make_reset_token(user)}"
    secret = "mismatch passphrase 1234"
    cases = [
        (secret, secret + "x", "confirm", "確認用のパスワードが一致しません。"),
        ("short", None, "new_password", "パスワードは12文字以上128文字以内にしてください。"),
        ("hanako-is-my-name-2026", None, "new_password",
         "推測されやすい語を含むパスワードは使えません。"),
    ]
    for password, confirm, field, message in cases:
        resp = reset(client, path, password, confirm)
        assert resp.status_code == 200
        page = resp.get_data(as_text=True)
        assert error_of(page, field) == message, page
        assert password not in page and (confirm or password) not in page  # nothing echoed
    assert client.get(path).status_code == 200  # the link still works after mistakes
    assert login(app.test_client(), user.email, PASSWORD).status_code == 302
    assert audit("password_reset.completed") == []


def test_a_reset_opens_an_account_locked_by_failed_logins(app, client):
    user = make_staff()
    with time_machine.travel(utcnow(), tick=False) as clock:
        for _ in range(app.config["LOGIN_MAX_FAILURES_ACCOUNT"]):
            login(app.test_client(), user.email, "wrong")
            clock.shift(app.config["LOGIN_SLOWDOWN_DELAY"] + timedelta(seconds=1))
        resp = login(app.test_client(), user.email, PASSWORD)
        assert resp.status_code == 429 and "一時的にロックしています" in resp.get_data(as_text=True)
        assert reset(client, f"/password/reset/{make_reset_token(user)}", NEW_PASSWORD
                     ).status_code == 302
        assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


# --- throttling -------------------------------------------------------------------

def test_requests_are_throttled_per_address_typed_known_or_not(app, smtp):
    user = make_staff()
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        for email in (user.email, "nobody@town.example.jp"):
            for i in range(3):
                assert forgot(app.test_client(), email, addr=f"203.0.113.{i}").status_code == 302
            resp = forgot(app.test_client(), email, addr="203.0.113.99")  # another client too
            assert resp.status_code == 429
            page = resp.get_data(as_text=True)
            assert "受付を一時的に止めています。60分ほど待ってから再度お試しください。" in page
        clock.shift(timedelta(minutes=61))
        assert forgot(app.test_client(), user.email).status_code == 302
        assert len(mails(smtp)) == 4  # three, then one more after the hour
    throttled = audit("password_reset.throttled")
    assert [(a.actor_id, a.detail["email"]) for a in throttled] == [
        (user.id, user.email), (None, "nobody@town.example.jp")]


def test_requests_are_throttled_per_client_address(app):
    limit = app.config["PASSWORD_RESET_MAX_PER_ADDRESS"]
    for i in range(limit):
        assert forgot(app.test_client(), f"guess{i}@town.example.jp").status_code == 302
    resp = forgot(app.test_client(), "guess-next@town.example.jp")
    assert resp.status_code == 429 and "受付を一時的に止めています" in resp.get_data(as_text=True)
    assert forgot(app.test_client(), "guess-next@town.example.jp",
                  addr="192.0.2.55").status_code == 302
    assert [a.ip for a in audit("password_reset.throttled")] == ["198.51.100.7"]


# --- delivery rules ---------------------------------------------------------------

def test_mail_goes_now_by_email_only_whatever_the_preferences(app, client, smtp):
    user = make_staff()
    make_room("municipality", municipality_name="佐用町")
    db.session.add_all([
        NotificationPreference(user_id=user.id, event_type="*", channel="email", digest=True),
        NotificationPreference(user_id=user.id, event_type="account.password_reset",
                               channel="email", enabled=False)])
    db.session.commit()
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        assert forgot(client, user.email).status_code == 302
        [row] = db.session.scalars(sa.select(OutboxMessage)).all()
        assert (row.channel, row.status, row.urgent) == ("email", "pending", True)
        assert row.next_attempt_at == SATURDAY_NIGHT  # not Monday 08:30, not the digest
        assert len(mails(smtp)) == 1


def test_notify_keeps_account_mail_to_email_even_if_asked_for_more(app):
    user = make_staff()
    room = make_room("municipality", municipality_name="佐用町")
    notify("account.password_reset", recipients=[user], rooms=[room],
           channels=("inapp", "email", "webhook"), link="/password/reset/" + SECRET_SLOT,
           user=user, minutes=30)
    rows = announce_pending()
    assert [(r.channel, r.user_id) for r in rows] == [("email", user.id)]


# --- CSRF and English ---------------------------------------------------------------

def _csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def test_both_forms_refuse_a_post_without_its_csrf_token(make_app, smtp):
    app = make_app(**notify_config(smtp.port), WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_staff()
        client = app.test_client()
        resp = client.post("/password/forgot", data={"email": user.email})
        assert resp.status_code == 400
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
        token = _csrf(client, "/password/forgot")
        assert client.post("/password/forgot", data={"email": user.email,
                                                     "csrf_token": token}).status_code == 302

        path = f"/password/reset/{make_reset_token(user)}"
        assert reset(client, path, NEW_PASSWORD).status_code == 400
        db.session.expire_all()
        assert verify_password(db.session.get(User, user.id), PASSWORD)  # unchanged
        resp = client.post(path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                       "csrf_token": _csrf(client, path)})
        assert resp.status_code == 302
        db.session.expire_all()
        assert verify_password(db.session.get(User, user.id), NEW_PASSWORD)
        db.session.remove()


def test_pages_and_messages_in_english(app, client):
    user = make_staff()
    client.post("/language/en", data={"next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert "Forgot your password?" in page and "パスワードをお忘れの方" not in page
    page = client.get("/password/forgot").get_data(as_text=True)
    assert "Reset your password" in page and "Send the reset link" in page
    forgot(client, "nobody@town.example.jp")
    page = client.get("/login").get_data(as_text=True)
    assert "If the address you entered is registered, we have sent a link" in page
    resp = client.get("/password/reset/not-a-token")
    assert resp.status_code == 404 and "This link is not valid" in resp.get_data(as_text=True)
    page = client.get(f"/password/reset/{make_reset_token(user)}").get_data(as_text=True)
    assert "Set a new password" in page and "新しいパスワード" not in page
    page = reset(client, f"/password/reset/{make_reset_token(user)}", "a b", "a c").get_data(
        as_text=True)
    assert error_of(page, "confirm") == "The two passwords do not match."
