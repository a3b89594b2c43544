"""Concurrent writers: no "database is locked", no lost update.

On SQLite this is the work of supportdesk/__init__.py: WAL, a busy timeout and BEGIN IMMEDIATE
(the write lock is taken when the transaction begins, so a read-then-write transaction waits
instead of failing). On PostgreSQL the same writers run with row locks (FOR UPDATE, which
SQLAlchemy leaves out on SQLite). A control with plain deferred transactions shows the failure
those settings prevent.
"""
import sqlite3
import threading

import sqlalchemy as sa
from sqlalchemy import event

from supportdesk.extensions import db
from supportdesk.models import AuditLog, Municipality
from tests.factories import PASSWORD, make_liaison, make_user, municipality

THREADS = 6
ROUNDS = 5


def run_threads(target, count):
    errors = []
    barrier = threading.Barrier(count)

    def wrapped(i):
        try:
            barrier.wait(timeout=30)
            target(i)
        except BaseException as exc:  # reported below, with the thread's number
            errors.append((i, repr(exc)))

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return errors


def test_connection_settings(app):
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        else:
            assert conn.dialect.driver == "psycopg"
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"


def test_transactions_begin_immediate_on_sqlite(app):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        db.session.remove()
        db.session.get(Municipality, municipality("佐用町").id)
        db.session.rollback()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    if db.engine.dialect.name == "sqlite":
        assert statements[0] == "BEGIN IMMEDIATE"
    else:
        assert "BEGIN IMMEDIATE" not in statements


def test_concurrent_read_then_write_all_land(app):
    target_id = municipality("佐用町").id
    db.session.remove()

    def writer(i):
        for k in range(ROUNDS):
            with app.app_context():
                # Read, then write from what was read: the pattern that deadlocks or loses
                # updates when two transactions overlap.
                m = db.session.get(Municipality, target_id, with_for_update=True)
                m.profile_note = (m.profile_note or "") + f"[{i}-{k}]"
                db.session.commit()

    errors = run_threads(writer, THREADS)
    assert errors == []
    db.session.expire_all()
    note = db.session.get(Municipality, target_id).profile_note
    tokens = sorted(note.strip("[]").split("]["))
    assert tokens == sorted(f"{i}-{k}" for i in range(THREADS) for k in range(ROUNDS))


def test_liaison_and_admin_save_profiles_at_once_through_http(app):
    users = [make_liaison("西播磨"), make_user("admin"), make_liaison("西播磨"), make_user("admin")]
    emails = [u.email for u in users]
    db.session.remove()

    def saver(i):
        client = app.test_client()
        resp = client.post("/login", data={"email": emails[i], "password": PASSWORD})
        assert resp.status_code == 302, resp.status_code
        for k in range(ROUNDS):
            resp = client.post("/municipalities/28501/profile",
                               data={"profile_note": f"user{i} round{k}", "dx_step": str(k % 4)})
            assert resp.status_code == 302, resp.get_data(as_text=True)[:300]

    errors = run_threads(saver, len(users))
    assert errors == []
    saved = db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(
        AuditLog.action == "municipality.profile_updated"))
    # Every save changed the note, so every one left its audit row.
    assert saved == len(users) * ROUNDS


def test_control_deferred_transactions_do_fail(tmp_path):
    """Without BEGIN IMMEDIATE, WAL + busy timeout alone still fails a read-then-write."""
    path = str(tmp_path / "control.sqlite3")
    a = sqlite3.connect(path, isolation_level=None, timeout=30)
    b = sqlite3.connect(path, isolation_level=None, timeout=30)  # a generous busy timeout ...
    c = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    try:
        a.execute("PRAGMA journal_mode=WAL")
        a.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)")
        a.execute("INSERT INTO t VALUES (1, 0)")
        a.execute("BEGIN")  # deferred, pysqlite's default
        b.execute("BEGIN")
        a.execute("SELECT n FROM t").fetchone()
        b.execute("SELECT n FROM t").fetchone()
        a.execute("UPDATE t SET n = n + 1")
        a.execute("COMMIT")
        try:
            b.execute("UPDATE t SET n = n + 1")
        except sqlite3.OperationalError as exc:
            failure = str(exc)
        else:
            failure = None
        b.execute("ROLLBACK")
        # ... does not help: b's snapshot is stale, so SQLite refuses at once.
        assert failure == "database is locked"
        # The same two transactions with BEGIN IMMEDIATE: the second waits its turn instead.
        a.execute("BEGIN IMMEDIATE")
        a.execute("SELECT n FROM t").fetchone()
        try:
            c.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            # c cannot even begin while a holds the write lock: it waits at BEGIN (here for
            # only 0.1 s), before reading anything, so waiting longer is always safe.
            waited = str(exc)
        a.execute("UPDATE t SET n = n + 1")
        a.execute("COMMIT")
        b.execute("BEGIN IMMEDIATE")
        n = b.execute("SELECT n FROM t").fetchone()[0]
        b.execute("UPDATE t SET n = ?", (n + 1,))
        b.execute("COMMIT")
        assert waited == "database is locked"
        assert a.execute("SELECT n FROM t").fetchone()[0] == 3
    finally:
        for conn in (a, b, c):
            conn.close()
