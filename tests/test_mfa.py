"""Two-factor login (TOTP): enrolment, the login's second step, replay, recovery codes,
throttling, disabling, the admin reset, the per-role policy and the password reset."""
import logging
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa
import time_machine

from supportdesk.extensions import db
from supportdesk.models import AuditLog, LoginAttempt, RecoveryCode, UserSession
from supportdesk.services.accounts.mfa import enable_totp, pending_secret
from supportdesk.services.accounts.password_reset import make_reset_token
from tests.factories import PASSWORD, make_staff, make_user

START = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # a Tuesday, 09:30 in Tokyo
STEP = timedelta(seconds=30)
WRONG_CODE = "確認コードが正しくありません。"
WAIT = "秒ほど待ってから再度お試しください。"
LOCKED = "一時的にロックしています。"
ADDR = "198.51.100.9"


def code_at(secret, when):
    return pyotp.TOTP(secret).at(when)


def with_totp(user, now=START):
    """The user with two-factor login on (enrolled at `now`); returns (secret, recovery codes)."""
    secret = pending_secret(user)
    codes = enable_totp(user, code_at(secret, now), now=now)
    db.session.commit()
    return secret, codes


def password_step(client, user, password=PASSWORD, **kw):
    return client.post("/login", data={"email": user.email, "password": password},
                       environ_base={"REMOTE_ADDR": ADDR}, **kw)


def code_step(client, code):
    resp = client.post("/login/2fa", data={"code": code}, environ_base={"REMOTE_ADDR": ADDR})
    return resp.status_code, resp.get_data(as_text=True)


def logged_in(client):
    resp = client.get("/account/password")
    if resp.status_code == 200:
        return True
    assert resp.status_code == 302
    return False


def actions():
    return db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()


def full_login(app, user, code):
    client = app.test_client()
    assert password_step(client, user).headers["Location"] == "/login/2fa"
    return client, code_step(client, code)


# --- enrolment ---------------------------------------------------------------

def test_enrolment_wrong_code_then_right_code_shows_recovery_codes_once(app, client, login_as,
                                                                          caplog):
    caplog.set_level(logging.DEBUG)
    user = make_staff()
    with time_machine.travel(START, tick=False):
        login_as(user)
        page = client.get("/account/2fa").get_data(as_text=True)
        assert 'data-testid="mfa-start"' in page and 'data-testid="mfa-qr"' not in page
        assert client.post("/account/2fa/start").status_code == 302
        page = client.get("/account/2fa").get_data(as_text=True)
        db.session.refresh(user)
        secret = user.totp_secret
        # The QR code is inline SVG made on the server; the key is shown grouped by 4.
        assert re.search(r'data-testid="mfa-qr"><svg [^>]*class="segno"', page)
        assert " ".join(secret[i:i + 4] for i in range(0, 32, 4)) in page
        assert "http" not in page.split('data-testid="mfa-qr"')[1].split("</svg>")[0]
        resp = client.post("/account/2fa", data={"code": code_at(secret, START - 3 * STEP)})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert f'<p class="error" id="code-error">{WRONG_CODE}</p>' in body
        db.session.refresh(user)
        assert not user.has_totp
        resp = client.post("/account/2fa", data={"code": code_at(secret, START)})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200 and "2段階認証を有効にしました。" in body
        codes = re.findall(r"<li><code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code></li>", body)
        assert len(set(codes)) == 10
        db.session.refresh(user)
        assert user.has_totp and user.totp_enabled_at == START
        stored = db.session.scalars(sa.select(RecoveryCode.code_hash)
                                    .where(RecoveryCode.user_id == user.id)).all()
        assert len(stored) == 10 and not set(codes) & set(stored)  # digests, not the codes
        assert "mfa.enabled" in actions()
        later = client.get("/account/2fa").get_data(as_text=True)
    assert secret not in later and grouped_absent(secret, later) and codes[0] not in later
    assert "未使用のリカバリーコード: 10個" in later
    assert secret not in caplog.text  # never logged


def grouped_absent(secret, page):
    return secret[:4] + " " + secret[4:8] not in page


def test_demo_style_users_log_in_with_a_password_alone(app, client):
    user = make_staff()
    resp = password_step(client, user)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert logged_in(client)


# --- the login's second step ---------------------------------------------------

def test_password_alone_gives_no_session_and_the_right_code_logs_in(app, client):
    user = make_staff()
    secret, _codes = with_totp(user)
    when = START + 4 * STEP
    with time_machine.travel(when, tick=False):
        resp = password_step(client, user)
        assert resp.status_code == 302 and resp.headers["Location"] == "/login/2fa"
        assert not logged_in(client)  # a protected page sends to the login
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
        assert "login.success" not in actions()
        page = client.get("/login/2fa").get_data(as_text=True)
        assert 'autocomplete="one-time-code"' in page
        status, _body = code_step(client, code_at(secret, when))
        assert status == 302
        assert logged_in(client)
    assert actions()[-2:] == ["login.mfa_challenge", "login.success"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 1


def test_next_is_kept_across_the_second_step(app, client):
    user = make_staff()
    secret, _codes = with_totp(user)
    with time_machine.travel(START + 4 * STEP, tick=False):
        password_step(client, user, query_string={"next": "/account/tokens/"})
        resp = client.post("/login/2fa", data={"code": code_at(secret, START + 4 * STEP)})
    assert resp.headers["Location"] == "/account/tokens/"


def test_second_step_needs_the_pending_state_and_it_expires_after_5_minutes(app, client):
    resp = client.get("/login/2fa")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    user = make_staff()
    secret, _codes = with_totp(user)
    with time_machine.travel(START + 4 * STEP, tick=False) as clock:
        password_step(client, user)
        clock.shift(timedelta(minutes=5, seconds=1))
        now = START + 4 * STEP + timedelta(minutes=5, seconds=1)
        status, _body = code_step(client, code_at(secret, now))
        assert status == 302
        assert not logged_in(client)


def test_a_code_is_accepted_once_and_old_steps_are_refused(app):
    user = make_staff()
    secret, _codes = with_totp(user)  # step of START used at enrolment
    t1 = START + 3 * STEP
    with time_machine.travel(t1, tick=False):
        first, (status, _body) = full_login(app, user, code_at(secret, t1))
        assert status == 302 and logged_in(first)
        # The same code in a second login, still inside its 30 seconds: refused.
        second, (status, body) = full_login(app, user, code_at(secret, t1))
        assert status == 200 and WRONG_CODE in body and not logged_in(second)
    t2 = t1 + 4 * STEP
    with time_machine.travel(t2, tick=False):
        client, (status, body) = full_login(app, user, code_at(secret, t2 - 2 * STEP))
        assert status == 200 and WRONG_CODE in body  # two steps ago: outside the window
        # One step ago is inside the window (clock drift)...
        assert code_step(client, code_at(secret, t2 - STEP))[0] == 302
        # ...and after it, a code of an older step than the last one used is refused.
        _c, (status, body) = full_login(app, user, code_at(secret, t2 - STEP))
        assert status == 200 and WRONG_CODE in body
    assert actions().count("login.mfa_failed") == 3


def test_a_recovery_code_works_once(app):
    user = make_staff()
    secret, codes = with_totp(user)
    with time_machine.travel(START + 10 * STEP, tick=False):
        client, (status, _body) = full_login(app, user, codes[3].upper().replace("-", " "))
        assert status == 302 and logged_in(client)
        _c, (status, body) = full_login(app, user, codes[3])
        assert status == 200 and WRONG_CODE in body
    assert actions().count("mfa.recovery_code_used") == 1
    used = db.session.scalars(sa.select(RecoveryCode).where(RecoveryCode.used_at.is_not(None)))
    assert len(used.all()) == 1


def test_wrong_codes_count_toward_the_login_throttle_and_lock(app):
    user = make_staff()
    secret, _codes = with_totp(user)
    delay = app.config["LOGIN_SLOWDOWN_DELAY"]
    with time_machine.travel(START + 10 * STEP, tick=False) as clock:
        client = app.test_client()
        password_step(client, user)
        for _ in range(2):
            assert code_step(client, "000000")[1].count(WRONG_CODE) == 1
        # A right password again does not clear the count: only a completed login does.
        client = app.test_client()
        assert password_step(client, user).headers["Location"] == "/login/2fa"
        status, body = code_step(client, "111111")  # third failure
        assert status == 200 and WRONG_CODE in body
        status, body = code_step(client, code_at(secret, datetime.now(UTC)))
        assert status == 429 and WAIT in body  # slowed down, even with the right code
        for _ in range(2):  # fourth and fifth failures, each after the delay
            clock.shift(delay + timedelta(seconds=1))
            status, body = code_step(client, "222222")
        assert status == 429 and LOCKED in body and "15分" in body
        clock.shift(STEP)
        status, body = code_step(client, code_at(secret, datetime.now(UTC)))
        assert status == 429 and LOCKED in body  # the right code does not open a lock
        resp = password_step(app.test_client(), user)
        assert resp.status_code == 429 and LOCKED in resp.get_data(as_text=True)
    failures = db.session.scalars(sa.select(LoginAttempt).where(
        LoginAttempt.email == user.email, LoginAttempt.success.is_(False))).all()
    assert len(failures) == 5
    audit = actions()
    assert audit.count("login.mfa_failed") == 5 and "login.lockout" in audit
    assert "login.success" not in audit


# --- managing it ----------------------------------------------------------------

def test_disable_needs_the_password_and_a_code(app, client, login_as):
    user = make_staff()
    secret, _codes = with_totp(user)
    with time_machine.travel(START + 4 * STEP, tick=False) as clock:
        password_step(client, user)
        code_step(client, code_at(secret, START + 4 * STEP))
        clock.shift(4 * STEP)
        now = START + 8 * STEP
        resp = client.post("/account/2fa/disable", data={
            "disable-password": PASSWORD + "x", "disable-code": code_at(secret, now)})
        assert "現在のパスワードが正しくありません。" in resp.get_data(as_text=True)
        resp = client.post("/account/2fa/disable", data={
            "disable-password": PASSWORD, "disable-code": "123456"})
        assert WRONG_CODE in resp.get_data(as_text=True)
        db.session.refresh(user)
        assert user.has_totp
        resp = client.post("/account/2fa/disable", data={
            "disable-password": PASSWORD, "disable-code": code_at(secret, now)})
        assert resp.status_code == 302
    db.session.refresh(user)
    assert not user.has_totp and user.totp_secret is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert "mfa.disabled" in actions()
    assert password_step(app.test_client(), user).headers["Location"] == "/"


def test_regenerating_recovery_codes_replaces_the_old_ones(app, client):
    user = make_staff()
    secret, old = with_totp(user)
    with time_machine.travel(START + 4 * STEP, tick=False):
        password_step(client, user)
        code_step(client, code_at(secret, START + 4 * STEP))
        resp = client.post("/account/2fa/recovery-codes", data={
            "regen-password": PASSWORD, "regen-code": code_at(secret, START + 5 * STEP)})
    new = re.findall(r"<li><code>([a-z0-9-]{14})</code></li>", resp.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    with time_machine.travel(START + 20 * STEP, tick=False):
        assert full_login(app, user, old[0])[1][0] == 200
        assert full_login(app, user, new[0])[1][0] == 302


def test_admin_resets_a_lost_phone(app, client, login_as):
    user = make_staff()
    with_totp(user)
    with time_machine.travel(START + 4 * STEP, tick=False):
        victim_client, _r = full_login(app, user, code_at(user.totp_secret, START + 4 * STEP))
        assert logged_in(victim_client)
        staff = make_staff(email="other@test.example.jp")
        login_as(staff)
        assert client.post(f"/admin/users/{user.id}/mfa-reset").status_code == 403
        admin = make_user("admin")
        login_as(admin)
        page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
        assert 'data-testid="mfa-reset"' in page
        resp = client.post(f"/admin/users/{user.id}/mfa-reset")
        assert resp.status_code == 302
        db.session.refresh(user)
        assert not user.has_totp
        row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "mfa.reset_by_admin"))
        assert row.actor_id == admin.id and row.target_id == str(user.id)
        assert not logged_in(victim_client)  # the lost phone's session ended too
        assert password_step(app.test_client(), user).headers["Location"] == "/"


# --- policy ---------------------------------------------------------------------

@pytest.fixture
def strict_app(make_app):
    app = make_app(MFA_REQUIRED_ROLES="admin, manager")
    with app.app_context():
        yield app
        db.session.remove()


def test_required_role_must_enrol_before_any_other_page(strict_app):
    admin = make_user("admin")
    client = strict_app.test_client()
    with time_machine.travel(START, tick=False):
        assert password_step(client, admin).status_code == 302
        for path in ("/", "/admin/users", "/account/password", "/account/tokens/"):
            resp = client.get(path)
            assert resp.status_code == 302 and resp.headers["Location"] == "/account/2fa", path
        assert client.get("/api/v1/requests").status_code == 403
        assert "2段階認証が必須" in client.get("/account/2fa").get_data(as_text=True)
        assert client.post("/account/2fa/start").status_code == 302
        db.session.refresh(admin)
        resp = client.post("/account/2fa", data={"code": code_at(admin.totp_secret, START)})
        assert resp.status_code == 200
        assert client.get("/admin/users").status_code == 200
        # Staff are not in the list: nothing asked of them; logout always works.
        staff = make_staff()
        other = strict_app.test_client()
        password_step(other, staff)
        assert other.get("/account/password").status_code == 200
        assert other.post("/logout").status_code == 302


def test_required_role_user_can_log_out_before_enrolling(strict_app):
    admin = make_user("admin")
    client = strict_app.test_client()
    password_step(client, admin)
    assert client.post("/logout").headers["Location"] == "/login"
    assert client.get("/account/2fa").headers["Location"].startswith("/login")


def test_a_password_reset_does_not_skip_the_second_factor(app, client):
    user = make_staff()
    secret, _codes = with_totp(user)
    new_password = "はるかぜ の 朝 に 2026"
    with time_machine.travel(START + 4 * STEP, tick=False):
        path = f"/password/reset/{make_reset_token(user)}"
        resp = client.post(path, data={"new_password": new_password, "confirm": new_password})
        assert resp.status_code == 302
        resp = password_step(client, user, password=new_password)
        assert resp.headers["Location"] == "/login/2fa"
        assert not logged_in(client)
        assert code_step(client, code_at(secret, START + 4 * STEP))[0] == 302
        assert logged_in(client)


def test_two_logins_racing_with_one_code_let_only_one_in(app):
    """Two requests carry the same fresh code at the same moment (a replayed form post, or an
    attacker who saw the code): the conditional UPDATE of the last used step lets one through."""
    import threading

    from supportdesk.models import User
    from supportdesk.services.accounts.mfa import complete_mfa_login

    user = make_staff()
    secret, _codes = with_totp(user)
    now = START + 10 * STEP
    code, user_id = code_at(secret, now), user.id
    db.session.rollback()  # hold no transaction (on SQLite every transaction takes the lock)
    barrier, results, errors = threading.Barrier(2), [], []

    def attempt():
        try:
            with app.app_context():
                me = db.session.get(User, user_id)
                db.session.rollback()  # both start their login transaction after the barrier
                barrier.wait(timeout=10)
                result = complete_mfa_login(me, code, ip=ADDR, now=now)
                db.session.commit()
                results.append(result.user is not None)
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results) == [False, True]
    db.session.expire_all()
    assert actions().count("login.mfa_failed") == 1
