"""Online backup of the database and the attachment files, for operators (`flask backup`).

SQLite: Python's sqlite3 online backup API copies a consistent snapshot while the app keeps
writing (never copy the live file: the WAL holds committed data), then the copy is checked with
PRAGMA integrity_check. PostgreSQL: `pg_dump --format=custom` (restore with pg_restore); the
password goes through PGPASSWORD, never the command line. The attachment folder is copied after
the database snapshot, so every attachment row in the snapshot has its file.
A manifest.json records when, which migration revision, row counts, the head of each hash chain
(services/chain.py: a later `audit verify --manifest` proves the history has not been rewritten
since) and the files' checksums.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from urllib.parse import unquote

import sqlalchemy as sa
from ..extensions import db
from ..timeutil import utcnow
from .chain import chain_heads
from .requests.attachments import upload_folder

# Tables whose row counts go into the manifest (the ones an operator checks after a restore).
COUNTED_TABLES = ("municipalities", "users", "support_requests", "request_events",
                  "request_comments", "request_attachments", "visits", "audit_logs",
                  "outbox_messages")


class BackupFailed(Exception):
    pass


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def table_counts(connection):
    """Row counts of COUNTED_TABLES on a DB-API or SQLAlchemy connection's database."""
    counts = {}
    for table in COUNTED_TABLES:
        if isinstance(connection, sqlite3.Connection):
            counts[table] = connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        else:
            counts[table] = connection.execute(sa.text(f'SELECT COUNT(*) FROM "{table}"')).scalar()
    return counts


def _alembic_revision(connection):
    """The migration revision, or None for a database made without migrations (create_all)."""
    if isinstance(connection, sqlite3.Connection):
        if connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                              "AND name = 'alembic_version'").fetchone() is None:
            return None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    if connection.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _backup_sqlite(url, target_dir):
    source_path = url.database
    if not source_path or source_path == ":memory:":
        raise BackupFailed("in-memory SQLite databases cannot be backed up")
    target = os.path.join(target_dir, "supportdesk.sqlite3")
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=1024)
        status = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            raise BackupFailed(f"integrity_check on the copy says: {status}")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return {"file": os.path.basename(target), "revision": _alembic_revision(copy),
                "counts": table_counts(copy),
                "chain_heads": chain_heads(lambda sql: copy.execute(sql).fetchall())}
    finally:
        copy.close()
        source.close()


def _pg_schema(url):
    """The schema named first in a search_path option of the URL (tests use one per worker)."""
    options = url.query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    for part in unquote(options).split():
        if part.startswith("-csearch_path="):
            first = part.split("=", 1)[1].split(",")[0].strip()
            return first if first and first != "public" else None
    return None


def _backup_postgres(url, target_dir):
    target = os.path.join(target_dir, "supportdesk.dump")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupFailed("pg_dump is not installed (Debian: postgresql-client)")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = [pg_dump, "--format=custom", "--no-owner", "--file", target,
            "--dbname", url.set(drivername="postgresql", password=None, query={})
            .render_as_string(hide_password=False)]
    schema = _pg_schema(url)
    if schema:
        args += ["--schema", schema]
    # Count inside a snapshot and hand that same snapshot to pg_dump: the manifest's figures
    # are exactly what the dump holds, whatever the desk writes meanwhile.
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
            counts = table_counts(conn)
            revision = _alembic_revision(conn)
            heads = chain_heads(lambda sql: conn.execute(sa.text(sql)).all())
            done = subprocess.run(args + ["--snapshot", snapshot], env=env, capture_output=True,
                                  text=True, timeout=3600)
    if done.returncode != 0:
        raise BackupFailed(f"pg_dump failed: {done.stderr.strip()[:500]}")
    return {"file": os.path.basename(target), "revision": revision, "counts": counts,
            "chain_heads": heads, "schema": schema}


def _copy_uploads(target_dir):
    source = upload_folder()
    target = os.path.join(target_dir, "uploads")
    files = {}
    os.makedirs(target, exist_ok=True)
    if os.path.isdir(source):
        for root, _dirs, names in os.walk(source):
            for name in names:
                path = os.path.join(root, name)
                rel = os.path.relpath(path, source)
                os.makedirs(os.path.dirname(os.path.join(target, rel)), exist_ok=True)
                shutil.copy2(path, os.path.join(target, rel))
                files[rel] = _sha256(path)
    return files


def backup_all(dest_dir, now=None):
    """Write a backup folder under dest_dir; return its manifest (also saved as manifest.json)."""
    now = now or utcnow()
    url = db.engine.url
    target_dir = os.path.join(dest_dir, "supportdesk-" + now.strftime("%Y%m%dT%H%M%SZ"))
    if os.path.exists(target_dir):
        raise BackupFailed(f"{target_dir} exists already")
    os.makedirs(target_dir)
    if url.get_backend_name() == "sqlite":
        database = _backup_sqlite(url, target_dir)
    elif url.get_backend_name() == "postgresql":
        database = _backup_postgres(url, target_dir)
    else:
        raise BackupFailed(f"no backup method for {url.get_backend_name()}")
    files = _copy_uploads(target_dir)  # after the snapshot: every row's file is there
    manifest = {
        "created_at": now.isoformat(),
        "dialect": url.get_backend_name(),
        "database": database,
        "uploads": {"count": len(files), "sha256": files},
    }
    with open(os.path.join(target_dir, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2)
    manifest["path"] = target_dir
    return manifest
