"""Authentication and sessions: hashing, login, fixation, logout, ending sessions, timeouts."""
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from argon2 import PasswordHasher

from supportdesk import create_app
from supportdesk.extensions import db
from supportdesk.models import AuditLog, UserSession
from supportdesk.services.accounts.auth import hash_password, load_session, start_session
from supportdesk.services.accounts.users import update_user
from tests.factories import PASSWORD, make_staff, make_user

START = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # a Tuesday, 09:30 in Tokyo
BAD_LOGIN = "メールアドレスまたはパスワードが正しくありません。"


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def cookie(client, app):
    found = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return found.value if found is not None else None


def logged_in(client):
    """True when the client's cookie opens a page that needs a login."""
    resp = client.get("/account/password")
    if resp.status_code == 200:
        return True
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    return False


def audit_actions():
    return db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()


# --- hashing -----------------------------------------------------------------

def test_production_hash_defaults_are_argon2id_at_asvs_strength(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("SUPPORTDESK_PASSWORD_HASH"):
            monkeypatch.delenv(name)
    # No PASSWORD_HASH_* overrides here: the suite's cheap hashing must not hide weak defaults.
    app = create_app({"SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "h.sqlite3")})
    with app.app_context():
        stored = hash_password("correct horse battery staple")
    m = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", stored)
    assert m, stored
    memory_kib, time_cost, _parallelism = map(int, m.groups())
    # ASVS 5.0 Appendix C: t=2 with m >= 19 MiB, or t >= 3 with m >= 12 MiB; we ship t=3, 64 MiB.
    assert (time_cost >= 3 and memory_kib >= 65536) or (time_cost == 2 and memory_kib >= 19456)
    assert PasswordHasher().verify(stored, "correct horse battery staple")


def test_weaker_legacy_hash_is_rehashed_at_next_login(app, client):
    user = make_staff()
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    db.session.commit()
    assert login(client, user.email).status_code == 302
    db.session.refresh(user)
    assert "m=1024,t=1,p=1" in user.password_hash  # the configured parameters, not the old ones


# --- login, fixation, logout -------------------------------------------------

def test_login_success_and_failure(app, client):
    user = make_staff()
    resp = login(client, user.email, PASSWORD + "x")
    assert resp.status_code == 200
    assert BAD_LOGIN in resp.get_data(as_text=True)
    assert user.email in resp.get_data(as_text=True)  # the typed address is kept
    unknown = login(client, "nobody@test.example.jp", PASSWORD)
    assert unknown.status_code == 200 and BAD_LOGIN in unknown.get_data(as_text=True)
    assert not logged_in(client)
    resp = login(client, user.email.upper())  # addresses are case-insensitive
    assert resp.status_code == 302
    assert logged_in(client)
    assert audit_actions() == ["login.failure", "login.failure", "login.success"]


@pytest.mark.parametrize("target, expected", [
    ("/account/password", "/account/password"),
    ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"),
    ("/\t/evil.example", "/"), ("/\n/evil.example", "/"), ("javascript:alert(1)", "/"),
])
def test_login_redirects_only_within_the_app(app, client, target, expected):
    user = make_staff()
    resp = client.post("/login", query_string={"next": target},
                       data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302
    assert resp.headers["Location"] == expected


def test_inactive_user_cannot_log_in(app, client):
    user = make_staff(active=False)
    resp = login(client, user.email)
    assert resp.status_code == 200 and BAD_LOGIN in resp.get_data(as_text=True)
    assert not logged_in(client)


def test_login_starts_a_fresh_session_without_earlier_contents(app, client):
    user = make_staff()
    with client.session_transaction() as sess:
        sess["planted"] = "attacker-chosen"
    before = cookie(client, app)
    assert before is not None
    assert login(client, user.email).status_code == 302
    after = cookie(client, app)
    assert after is not None and after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
    # The pre-login cookie does not carry the login.
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], before)
    assert not logged_in(other)


def test_logout_makes_every_copy_of_the_cookie_useless(app, client):
    user = make_staff()
    login(client, user.email)
    stolen = cookie(client, app)
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    assert logged_in(thief)
    assert client.post("/logout").status_code == 302
    assert not logged_in(client)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    assert not logged_in(client)
    assert not logged_in(thief)
    ended = db.session.scalars(sa.select(UserSession)).all()
    assert [(s.end_reason, s.ended_at is not None) for s in ended] == [("logout", True)]
    assert audit_actions()[-1] == "logout"


# --- ending sessions ---------------------------------------------------------

def test_password_change_ends_other_sessions_and_renews_the_current_one(app, client):
    user = make_staff()
    laptop, phone = client, app.test_client()
    login(laptop, user.email)
    login(phone, user.email)
    old_laptop_cookie = cookie(laptop, app)
    new_password = "a brand new passphrase 2026"
    resp = laptop.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new_password, "confirm": new_password})
    assert resp.status_code == 302
    assert logged_in(laptop)
    assert cookie(laptop, app) != old_laptop_cookie
    assert not logged_in(phone)
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], old_laptop_cookie)
    assert not logged_in(replay)
    reasons = db.session.scalars(sa.select(UserSession.end_reason).order_by(UserSession.id)).all()
    assert reasons == ["password_changed", "password_changed", None]
    assert login(app.test_client(), user.email, new_password).status_code == 302
    assert login(app.test_client(), user.email, PASSWORD).status_code == 200


def test_password_change_needs_the_current_password(app, client):
    user = make_staff()
    login(client, user.email)
    new_password = "a brand new passphrase 2026"
    resp = client.post("/account/password", data={
        "current_password": "not my password at all", "new_password": new_password,
        "confirm": new_password})
    assert resp.status_code == 200
    assert "現在のパスワードが正しくありません。" in resp.get_data(as_text=True)
    assert logged_in(client)
    assert login(app.test_client(), user.email, PASSWORD).status_code == 302


def test_deactivation_by_an_admin_ends_the_users_sessions(app, client):
    admin = make_user("admin")
    user = make_staff()
    login(client, user.email)
    assert logged_in(client)
    update_user(admin, user, active=False)
    db.session.commit()
    assert not logged_in(client)
    assert db.session.scalar(sa.select(UserSession.end_reason)) == "deactivated"
    assert login(app.test_client(), user.email).status_code == 200


def test_password_reset_by_an_admin_ends_the_users_sessions(app, client):
    admin = make_user("admin")
    user = make_staff()
    login(client, user.email)
    update_user(admin, user, password="set by the admin for April")
    db.session.commit()
    assert not logged_in(client)
    assert login(app.test_client(), user.email, "set by the admin for April").status_code == 302


def test_moving_a_user_to_another_role_ends_their_sessions(app, client):
    admin = make_user("admin")
    user = make_staff()
    login(client, user.email)
    update_user(admin, user, role="manager")
    db.session.commit()
    assert not logged_in(client)


# --- timeouts ----------------------------------------------------------------

def test_idle_timeout_after_30_minutes_but_activity_keeps_the_session(app, client):
    user = make_staff()
    with time_machine.travel(START, tick=False) as clock:
        login(client, user.email)
        for _ in range(3):
            clock.shift(timedelta(minutes=29))
            assert logged_in(client)
            # Production rolls the DB session back after each request: the activity stamp
            # must have been committed, not just left in this shared test session.
            db.session.rollback()
        clock.shift(timedelta(minutes=31))
        assert not logged_in(client)
    assert db.session.scalar(sa.select(UserSession.end_reason)) == "idle_timeout"


def test_absolute_timeout_after_12_hours_even_while_active(app, client):
    user = make_staff()
    with time_machine.travel(START, tick=False) as clock:
        login(client, user.email)
        elapsed = timedelta()
        while elapsed + timedelta(minutes=25) < timedelta(hours=12):
            clock.shift(timedelta(minutes=25))
            elapsed += timedelta(minutes=25)
            assert logged_in(client), elapsed
        clock.shift(timedelta(hours=12, minutes=1) - elapsed)
        assert not logged_in(client)
    assert db.session.scalar(sa.select(UserSession.end_reason)) == "absolute_timeout"


def test_load_session_limits_with_explicit_times(app):
    user = make_staff()
    sess = start_session(user, now=START)
    token = sess.token
    db.session.commit()
    assert load_session(token, now=START + timedelta(minutes=30)) is not None
    assert load_session(token, now=START + timedelta(minutes=59)) is not None
    assert load_session(token, now=START + timedelta(minutes=59 + 31)) is None
    assert load_session(token, now=START + timedelta(minutes=60)) is None  # ended stays ended
    assert load_session("not-a-token") is None


# --- password policy ---------------------------------------------------------

@pytest.mark.parametrize("new_password, ok", [
    ("abcdefghijk", False),  # 11
    ("kuromame-tea", True),  # 12, lower case and a hyphen: no composition rule
    ("aaaabbbbccccdddd", True),  # 16: a run-of-letters pattern long enough to pass
    ("x" * 129, False),
])
def test_password_length_policy(app, client, new_password, ok):
    user = make_staff()
    login(client, user.email)
    resp = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new_password, "confirm": new_password})
    assert (resp.status_code == 302) is ok
    if not ok:
        assert "パスワードは12文字以上128文字以内にしてください。" in resp.get_data(as_text=True)
    assert (login(app.test_client(), user.email, new_password).status_code == 302) is ok


@pytest.mark.parametrize("weak", [
    "letmein12345",      # a top common password with digits
    "asdfghjkl123",      # a keyboard row
    "1q2w3e4r5t6y",      # a keyboard zigzag
    "aaaabbbbcccc",      # 12 characters of a trivial pattern
    "iloveyou1234",
])
def test_common_and_pattern_passwords_are_refused_with_the_value_not_echoed(app, client, weak):
    user = make_staff()
    login(client, user.email)
    resp = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": weak, "confirm": weak})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "よく使われるパスワードや単純な並びに近いため使えません。" in page
    assert weak not in page  # password fields are never refilled
    assert login(app.test_client(), user.email, weak).status_code != 302


def test_passwords_built_on_the_users_own_name_or_town_are_refused(app):
    from supportdesk.services import ValidationFailed
    from supportdesk.services.accounts.auth import check_password_policy

    user = make_staff("佐用町", email="tanaka.ichiro@town.sayo.example.jp")
    # "tanaka.ichiro2024" is rated strong for a stranger; it is the user's own name here.
    other = make_staff("佐用町", email="suzuki.hanako@town.sayo.example.jp")
    check_password_policy("tanaka.ichiro2024", other)
    for weak in ["tanaka.ichiro1", "tanaka.ichiro2024"]:
        with pytest.raises(ValidationFailed):
            check_password_policy(weak, user)
    check_password_policy("tetsu-kabuto-7", user)  # and a fair one passes


def test_long_password_with_spaces_and_japanese_is_kept_whole(app, client):
    user = make_staff()
    long_password = ("  兵庫県 の DX 推進リエゾン と 市町 が 一緒に 進める 業務改革  " * 4)[:128]
    assert len(long_password) == 128 and long_password.startswith(" ")
    login(client, user.email)
    resp = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": long_password, "confirm": long_password})
    assert resp.status_code == 302
    assert login(app.test_client(), user.email, long_password).status_code == 302
    # No truncation or trimming: one character less, or stripped spaces, is a different password.
    assert login(app.test_client(), user.email, long_password[:-1]).status_code == 200
    assert login(app.test_client(), user.email, long_password.strip()).status_code == 200
