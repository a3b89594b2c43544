"""SQLite transactions: a read-only request begins deferred, everything else BEGIN IMMEDIATE.

SQLite has one writer at a time. `BEGIN IMMEDIATE` takes the write lock when the transaction
begins, so a transaction that reads and then writes waits (busy_timeout) instead of failing at
once with "database is locked" when another writer committed in between. Taken by every page
view, though, that lock makes gunicorn's workers take turns. So:

* A GET/HEAD/OPTIONS request (flagged by `mark_request`, the app's first before_request
  hook) begins its transactions with a plain deferred `BEGIN`: readers never block each other
  or a writer (WAL).
* Everything else begins IMMEDIATE: POST/PUT/PATCH/DELETE, the CLI, the scheduler's jobs and
  the outbox dispatcher (no request at all), and a GET view marked `@writes_on_get`.
* A write a read-only request must make (the session's activity stamp, auth_loader) runs in
  `write_transaction()`: the read transaction is ended first, and the next one begins
  IMMEDIATE.
* SQLITE_DEFERRED_READS = False brings back IMMEDIATE for every request (the bench compares
  both in one run).
* A write statement inside a deferred transaction is the trap itself; `SQLITE_READ_TX_GUARD`
  says what happens: "raise" (the tests) raises WriteInReadTransaction, "warn" (the default)
  logs it and lets SQLite try.

PostgreSQL is untouched: it begins as SQLAlchemy does, and its row locks serialise writers.
"""
import logging
import sqlite3
from contextlib import contextmanager

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import scoped_session

from . import search_index

logger = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteInReadTransaction(RuntimeError):
    """A write statement in a deferred (read-only) SQLite transaction."""


def writes_on_get(view):
    """Mark a GET view that writes: its request begins IMMEDIATE like a POST."""
    view.writes_on_get = True
    return view


def mark_request():
    """before_request (registered first): is this request read-only?"""
    view = current_app.view_functions.get(request.endpoint)
    g.sqlite_read_only = (request.method in READ_METHODS
                          and not getattr(view, "writes_on_get", False)
                          and current_app.config["SQLITE_DEFERRED_READS"])


def read_only_request():
    return has_app_context() and g.get("sqlite_read_only", False)


@contextmanager
def write_transaction():
    """Inside a read-only request, the transactions begun in this block begin IMMEDIATE.
    The caller ends the read transaction before (commit or rollback) and commits inside."""
    previous = g.get("sqlite_read_only", False)
    g.sqlite_read_only = False
    try:
        yield
    finally:
        g.sqlite_read_only = previous


def in_deferred_transaction(session):
    """True while `session` (a Session or db.session) is in a deferred SQLite transaction."""
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        return False
    conn = session.connection()
    return conn.dialect.name == "sqlite" and conn.info.get("sqlite_deferred", False)


def end_request(exc):
    """teardown_request: end a read-only request's transaction and flag. The app context, and
    with it the session, can outlive one request (a test's app context): code running after
    the request must not write into the read transaction the request began."""
    from .extensions import db

    if g.get("sqlite_read_only") and in_deferred_transaction(db.session):
        db.session.rollback()
    g.sqlite_read_only = False


def register(app):
    app.config.setdefault("SQLITE_READ_TX_GUARD", "warn")
    app.config.setdefault("SQLITE_DEFERRED_READS", True)  # False: every request IMMEDIATE
    app.before_request_funcs.setdefault(None, []).insert(0, mark_request)
    app.teardown_request(end_request)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin) instead of pysqlite's deferred BEGIN.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
    # The search index's triggers build the FTS5 document with it (search_index.py).
    dbapi_connection.create_function(search_index.SQL_FUNCTION, 1, search_index.fts_document,
                                     deterministic=True)


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        deferred = read_only_request()
        conn.info["sqlite_deferred"] = deferred
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


@event.listens_for(Engine, "before_cursor_execute")
def _guard_write(conn, cursor, statement, parameters, context, executemany):
    if not conn.info.get("sqlite_deferred") or \
            not statement.lstrip()[:8].upper().startswith(WRITE_VERBS):
        return
    mode = current_app.config.get("SQLITE_READ_TX_GUARD", "warn") if has_app_context() else "warn"
    where = f"{request.method} {request.path}" if has_request_context() else "no request"
    message = f"write in a read-only SQLite transaction ({where}): {statement[:80]}"
    if mode == "raise":
        raise WriteInReadTransaction(message)
    logger.warning(message)
