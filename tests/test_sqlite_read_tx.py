"""Read-only requests never take SQLite's write lock; writes still begin IMMEDIATE.

supportdesk/sqlite_tx.py: a GET/HEAD begins deferred, so gunicorn's workers serve pages side
by side; a POST, the CLI and the jobs begin IMMEDIATE. The session's activity stamp, the one
write an ordinary GET makes, runs in an IMMEDIATE transaction of its own.
"""
import sqlite3
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import template_rendered
from sqlalchemy import event

from supportdesk import sqlite_tx
from supportdesk.extensions import db
from supportdesk.models import Municipality, UserSession
from supportdesk.timeutil import utcnow
from tests.conftest import IS_POSTGRES
from tests.factories import make_liaison
from tests.test_reports import april  # noqa: F401  (requests of April 2025)

sqlite_only = pytest.mark.skipif(IS_POSTGRES, reason="SQLite's write lock; PostgreSQL has row locks")


def other_writer(app):
    """Another connection's whole write transaction, allowed to wait 0.1 s for the lock:
    'ok' if it committed, else SQLite's error."""
    path = db.engine.url.database
    conn = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE municipalities SET profile_note = 'from another connection' "
                     "WHERE code = '28501'")
        conn.execute("COMMIT")
        return "ok"
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        conn.close()


def begins(app, fn):
    """The BEGIN statements issued while fn() runs."""
    seen = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


@sqlite_only
def test_a_get_leaves_the_write_lock_free_while_its_page_renders(app, login_as):
    client = login_as(make_liaison("西播磨"))
    during_render = []

    def probe(sender, template, context, **extra):
        # The page's transaction is open here (session lookup, queue queries, rendering).
        if not during_render:
            during_render.append(other_writer(app))

    template_rendered.connect(probe, app)
    try:
        resp = client.get("/queue/")
    finally:
        template_rendered.disconnect(probe, app)
    assert resp.status_code == 200
    assert during_render == ["ok"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(Municipality.profile_note).where(
        Municipality.code == "28501")) == "from another connection"


def test_get_begins_deferred_and_post_begins_immediate(app, login_as):
    client = login_as(make_liaison("西播磨"))
    db.session.remove()
    on_get = begins(app, lambda: client.get("/queue/"))
    on_post = begins(app, lambda: client.post(
        "/municipalities/28501/profile", data={"profile_note": "メモ", "dx_step": "1"}))
    db.session.remove()
    outside = begins(app, lambda: (db.session.scalar(sa.select(Municipality.id).limit(1)),
                                   db.session.rollback()))
    if IS_POSTGRES:
        assert "BEGIN IMMEDIATE" not in on_get + on_post + outside
        return
    assert on_get and set(on_get) == {"BEGIN"}
    assert on_post and set(on_post) == {"BEGIN IMMEDIATE"}
    assert outside == ["BEGIN IMMEDIATE"]  # CLI, jobs, dispatcher: no request


@sqlite_only
def test_the_session_stamp_of_a_get_survives_a_writer_committing_in_between(app, login_as):
    """The trap: a deferred transaction that read, then writes after another connection
    committed, fails at once with "database is locked". The stamp is made in its own
    IMMEDIATE transaction, so the page answers and the stamp lands."""
    client = login_as(make_liaison("西播磨"))
    stale = utcnow() - timedelta(minutes=5)
    db.session.execute(sa.update(UserSession).values(last_seen_at=stale))
    db.session.commit()
    db.session.remove()
    interleaved = []

    def after(conn, cursor, statement, *args):
        if not interleaved and statement.startswith("SELECT") and "FROM user_sessions" in statement:
            interleaved.append(other_writer(app))  # commits right after the session was read

    event.listen(db.engine, "after_cursor_execute", after)
    try:
        resp = client.get("/queue/")
    finally:
        event.remove(db.engine, "after_cursor_execute", after)
    assert resp.status_code == 200
    assert interleaved == ["ok"]
    db.session.expire_all()
    seen = db.session.scalar(sa.select(sa.func.max(UserSession.last_seen_at)))
    assert seen.replace(tzinfo=None) > stale.replace(tzinfo=None) + timedelta(minutes=4)


@sqlite_only
def test_a_write_in_a_read_transaction_is_refused_under_the_guard(app):
    with app.test_request_context("/queue/"):
        sqlite_tx.mark_request()
        with pytest.raises(sqlite_tx.WriteInReadTransaction):
            db.session.execute(sa.update(Municipality).values(profile_note="x"))
        db.session.rollback()
        with sqlite_tx.write_transaction():  # the way out: an IMMEDIATE transaction
            db.session.execute(sa.update(Municipality).where(Municipality.code == "28501")
                               .values(profile_note="x"))
            db.session.commit()


@sqlite_only
def test_a_report_page_is_a_read_that_fills_a_missing_calendar_once(app, login_as, april):  # noqa: F811
    """The monthly report page reads: it leaves SQLite's write lock to others. The calendar of
    business days it needs is filled, when days are missing, in a write transaction of its own,
    once; the next view of the page begins no IMMEDIATE transaction at all."""
    from supportdesk.models import BusinessDay
    from tests.factories import make_user

    client = login_as(make_user("manager"))
    db.session.execute(sa.delete(BusinessDay))
    db.session.commit()
    db.session.remove()
    first = begins(app, lambda: client.get("/reports/monthly/2025-04?live=1"))
    assert first[0] == "BEGIN"
    assert first.count("BEGIN IMMEDIATE") <= 2  # the session stamp's and the calendar's
    days = db.session.scalar(sa.select(sa.func.count()).select_from(BusinessDay))
    assert days > 300
    db.session.remove()
    again = begins(app, lambda: client.get("/reports/monthly/2025-04?live=1"))
    assert again and set(again) == {"BEGIN"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BusinessDay)) == days
