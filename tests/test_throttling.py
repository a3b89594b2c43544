"""Login throttling: failures for one account or address first slow down, then lock for a while."""
from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from supportdesk.extensions import db
from supportdesk.models import AuditLog, LoginAttempt
from tests.factories import PASSWORD, make_staff

START = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
WRONG = "definitely not the password"
BAD_LOGIN = "メールアドレスまたはパスワードが正しくありません。"
WAIT = "秒ほど待ってから再度お試しください。"
LOCKED = "一時的にロックしています。"


def attempt(client, email, password, addr="198.51.100.7"):
    resp = client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": addr})
    return resp.status_code, resp.get_data(as_text=True)


def audit_counts():
    return Counter(db.session.scalars(sa.select(AuditLog.action)).all())


def test_config_defaults_slow_down_before_locking(app):
    cfg = app.config
    assert cfg["LOGIN_SLOWDOWN_AFTER_ACCOUNT"] < cfg["LOGIN_MAX_FAILURES_ACCOUNT"]
    assert cfg["LOGIN_SLOWDOWN_AFTER_ADDRESS"] < cfg["LOGIN_MAX_FAILURES_ADDRESS"]
    assert cfg["LOGIN_SLOWDOWN_DELAY"] < cfg["LOGIN_LOCK_DURATION"]


def test_account_failures_slow_down_then_lock_then_release(app, client):
    user = make_staff()
    delay = app.config["LOGIN_SLOWDOWN_DELAY"]
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(3):
            status, body = attempt(client, user.email, WRONG)
            assert status == 200 and BAD_LOGIN in body
        # Slow-down: the next attempt right away is refused, even with the right password,
        # with a Japanese "please wait" and no password check.
        status, body = attempt(client, user.email, PASSWORD)
        assert status == 429 and WAIT in body and "30秒" in body
        clock.shift(delay + timedelta(seconds=1))
        status, body = attempt(client, user.email, WRONG)  # 4th real failure
        assert status == 200 and BAD_LOGIN in body
        clock.shift(timedelta(seconds=10))
        assert attempt(client, user.email, WRONG)[0] == 429  # still inside the delay
        clock.shift(delay)
        status, body = attempt(client, user.email, WRONG)  # 5th failure: locked
        assert status == 429 and LOCKED in body and "15分" in body
        for minutes in (1, 10, 14):
            clock.move_to(START + delay * 2 + timedelta(seconds=11 + 60 * minutes))
            status, body = attempt(client, user.email, PASSWORD)
            assert status == 429 and LOCKED in body, (status, body[-3000:])
        assert attempt(app.test_client(), user.email, PASSWORD)[0] == 429  # not tied to a cookie
        # Attempts while locked do not extend the lock: its owner gets in once it ends.
        clock.move_to(START + delay * 2 + timedelta(seconds=11) + timedelta(minutes=15, seconds=1))
        status, _ = attempt(client, user.email, PASSWORD)
        assert status == 302
    failures = db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)
                                 .where(LoginAttempt.success.is_(False)))
    assert failures == 5


def test_address_failures_across_accounts_slow_down_then_lock(make_app):
    app = make_app(LOGIN_SLOWDOWN_AFTER_ADDRESS=4, LOGIN_MAX_FAILURES_ADDRESS=6)
    with app.app_context():
        victim = make_staff()
        client = app.test_client()
        delay = app.config["LOGIN_SLOWDOWN_DELAY"]
        with time_machine.travel(START, tick=False) as clock:
            # One failure each for many accounts: no single account reaches its own limits.
            for n in range(4):
                status, body = attempt(client, f"guess{n}@test.example.jp", WRONG)
                assert status == 200 and BAD_LOGIN in body
            status, body = attempt(client, "guess4@test.example.jp", WRONG)
            assert status == 429 and WAIT in body
            clock.shift(delay + timedelta(seconds=1))
            assert attempt(client, "guess4@test.example.jp", WRONG)[0] == 200
            clock.shift(delay + timedelta(seconds=1))
            status, body = attempt(client, "guess5@test.example.jp", WRONG)
            assert status == 429 and LOCKED in body, (status, body[-3000:])
            # Locked for everyone at this address, right password or not...
            status, body = attempt(client, victim.email, PASSWORD)
            assert status == 429 and LOCKED in body, (status, body[-3000:])
            # ...but not from another address.
            assert attempt(app.test_client(), victim.email, PASSWORD, addr="203.0.113.9")[0] == 302
            clock.shift(app.config["LOGIN_LOCK_DURATION"] + timedelta(seconds=1))
            assert attempt(app.test_client(), victim.email, PASSWORD)[0] == 302
        db.session.remove()


def test_a_success_does_not_reset_the_address_count(make_app):
    app = make_app(LOGIN_SLOWDOWN_AFTER_ADDRESS=100, LOGIN_MAX_FAILURES_ADDRESS=3)
    with app.app_context():
        own = make_staff()
        with time_machine.travel(START, tick=False) as clock:
            for n in range(2):
                attempt(app.test_client(), f"guess{n}@test.example.jp", WRONG)
                clock.shift(timedelta(seconds=1))
            # An attacker with one valid account cannot clear the address's failures.
            assert attempt(app.test_client(), own.email, PASSWORD)[0] == 302
            assert attempt(app.test_client(), "guess2@test.example.jp", WRONG)[0] == 429
        db.session.remove()


def test_a_success_resets_the_account_count(app, client):
    user = make_staff()
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(2):
            attempt(client, user.email, WRONG)
        assert attempt(client, user.email, PASSWORD)[0] == 302
        client.post("/logout")
        for _ in range(2):
            assert attempt(client, user.email, WRONG)[0] == 200
        clock.shift(timedelta(seconds=1))
        assert attempt(client, user.email, PASSWORD)[0] == 302


def test_every_outcome_writes_exactly_one_audit_row(make_app):
    app = make_app(LOGIN_SLOWDOWN_AFTER_ACCOUNT=2, LOGIN_MAX_FAILURES_ACCOUNT=3)
    with app.app_context():
        user = make_staff()
        client = app.test_client()
        delay = app.config["LOGIN_SLOWDOWN_DELAY"]
        with time_machine.travel(START, tick=False) as clock:
            assert attempt(client, user.email, PASSWORD)[0] == 302
            assert audit_counts() == {"login.success": 1}
            client.post("/logout")
            assert audit_counts() == {"login.success": 1, "logout": 1}
            attempt(client, user.email, WRONG)
            assert audit_counts()["login.failure"] == 1
            attempt(client, user.email, WRONG)
            assert audit_counts()["login.failure"] == 2 and "login.lockout" not in audit_counts()
            attempt(client, user.email, WRONG)  # slowed down
            assert audit_counts()["login.throttled"] == 1 and audit_counts()["login.failure"] == 2
            clock.shift(delay + timedelta(seconds=1))
            attempt(client, user.email, WRONG)  # 3rd failure: lockout
            assert audit_counts()["login.failure"] == 3 and audit_counts()["login.lockout"] == 1
            attempt(client, user.email, PASSWORD)  # refused while locked
            assert audit_counts() == {"login.success": 1, "logout": 1, "login.failure": 3,
                                      "login.throttled": 1, "login.lockout": 1, "login.locked": 1}
        rows = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
        assert all(r.actor_id == user.id for r in rows)
        assert all(r.ip == "198.51.100.7" for r in rows if r.action.startswith("login."))
        # The passwords typed are never written anywhere in the audit trail.
        text = " ".join(repr(r.detail) for r in rows)
        assert WRONG not in text and PASSWORD not in text
        db.session.remove()
