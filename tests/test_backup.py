"""`flask backup`: a consistent snapshot taken while the desk keeps writing, restored into a
fresh database that then serves the same requests and attachment bytes (SQLite and PostgreSQL)."""
import json
import os
import sqlite3
import subprocess
import threading
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from supportdesk import create_app
from supportdesk.config import normalise_db_url
from supportdesk.extensions import db
from supportdesk.models import AuditLog
from supportdesk.services.requests.attachments import add_attachments
from supportdesk.services.audit import record_audit
from supportdesk.services.backup import BackupFailed, backup_all
from supportdesk.services.seed import seed_reference
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL, base_config
from tests.factories import PASSWORD, make_request, make_staff

PDF = b"%PDF-1.4\n" + "議事録 backup test".encode() * 50


def head_revision(app):
    config = app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


@pytest.fixture
def desk(blank_app):
    """A migrated desk with one request carrying a PDF attachment."""
    upgrade()
    seed_reference()
    db.session.commit()
    staff = make_staff("佐用町", email="backup.staff@example.jp")
    sreq = make_request(staff, title="バックアップ確認用の相談")
    [att] = add_attachments(sreq, staff, [("議事録.pdf", PDF)])
    db.session.commit()
    return blank_app, sreq.id, att.id


class Writer(threading.Thread):
    """Commits audit rows as fast as it can, as a busy desk would, until stopped."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.stop, self.written, self.error = app, threading.Event(), 0, None

    def run(self):
        try:
            with self.app.app_context():
                while not self.stop.is_set():
                    record_audit("test.write", n=self.written)
                    db.session.commit()
                    self.written += 1
                db.session.remove()
        except Exception as exc:  # surfaced by the test
            self.error = exc


def restored_uri(backup_dir, manifest, created):
    """Restore the backup into a fresh database; return its URI."""
    if not IS_POSTGRES:
        return "sqlite:///" + os.path.join(backup_dir, manifest["database"]["file"])
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(normalise_db_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    created.append(name)
    base = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    target = sa.create_engine(normalise_db_url(base))
    with target.begin() as conn:  # the trigram index's operator class lives in public
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    target.dispose()
    done = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", base,
                           os.path.join(backup_dir, manifest["database"]["file"])],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    schema = manifest["database"]["schema"]
    return base + "?options=-csearch_path%3D" + schema + "%2Cpublic"


@pytest.fixture
def restore_dbs():
    created = []
    yield created
    if created:
        admin = sa.create_engine(normalise_db_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in created:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def test_backup_taken_while_writing_restores_to_a_working_desk(desk, tmp_path, restore_dbs):
    app, request_id, attachment_id = desk
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    db.session.rollback()  # end the read (on SQLite every transaction holds the write lock)
    writer = Writer(app)
    writer.start()
    try:
        while writer.written < 20 and writer.error is None:  # the writer is really writing
            threading.Event().wait(0.01)
        manifest = backup_all(str(tmp_path / "backups"))
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert writer.written >= 20

    backup_dir = manifest["path"]
    with open(os.path.join(backup_dir, "manifest.json"), encoding="utf-8") as fh:
        on_disk = json.load(fh)
    assert on_disk["database"] == manifest["database"]
    assert manifest["database"]["revision"] == head_revision(app)
    counts = manifest["database"]["counts"]
    assert counts["municipalities"] == 41 and counts["support_requests"] == 1
    assert counts["request_attachments"] == 1
    # The snapshot holds at least what was committed before it began (and the writer's rows
    # that made it in); it never holds a half-written transaction (integrity_check, restore).
    assert counts["audit_logs"] >= audit_before + 20
    assert manifest["uploads"]["count"] == 1

    uri = restored_uri(backup_dir, manifest, restore_dbs)
    restored = create_app(dict(base_config(uri),
                               UPLOAD_FOLDER=os.path.join(backup_dir, "uploads")))
    with restored.app_context():
        got = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
        db.session.remove()
        db.engine.dispose()
    assert got == counts["audit_logs"]
    client = restored.test_client()
    assert client.get("/healthz").status_code == 200
    login = client.post("/login", data={"email": "backup.staff@example.jp", "password": PASSWORD})
    assert login.status_code == 302
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "バックアップ確認用の相談" in page
    with client.get(f"/requests/{request_id}/attachments/{attachment_id}") as download:
        assert download.status_code == 200 and download.data == PDF
    with restored.app_context():
        db.session.remove()
        db.engine.dispose()


def test_backup_command_prints_where_and_records_an_audit_row(desk, tmp_path):
    app, _request_id, _attachment_id = desk
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")])
    assert result.exit_code == 0, result.output
    assert "backup written to" in result.output and "1 requests" in result.output
    assert "attachments: 1 files" in result.output
    [folder] = os.listdir(tmp_path / "bk")
    assert sorted(os.listdir(tmp_path / "bk" / folder)) == sorted(
        ["manifest.json", "uploads", "supportdesk.dump" if IS_POSTGRES else "supportdesk.sqlite3"])
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "backup.created"))
    assert entry is not None and entry.detail["path"].endswith(folder)
    # A second backup in the same second would overwrite nothing: it is refused clearly.
    when = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
    backup_all(str(tmp_path / "again"), now=when)
    with pytest.raises(BackupFailed, match="exists already"):
        backup_all(str(tmp_path / "again"), now=when)


def test_backup_file_is_self_contained_and_readable(desk, tmp_path):
    manifest = backup_all(str(tmp_path / "bk"))
    files = os.listdir(manifest["path"])
    assert not [f for f in files if f.endswith(("-wal", "-shm"))]
    path = os.path.join(manifest["path"], manifest["database"]["file"])
    if IS_POSTGRES:
        listing = subprocess.run(["pg_restore", "--list", path], capture_output=True, text=True)
        assert listing.returncode == 0, listing.stderr
        assert "TABLE DATA" in listing.stdout and "support_requests" in listing.stdout
        return
    copy = sqlite3.connect(path)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT COUNT(*) FROM support_requests").fetchone()[0] == 1
    copy.close()


def test_backup_of_a_database_made_without_migrations_says_so(app, tmp_path):
    """The test databases come from create_all: no alembic_version, the revision is None."""
    manifest = backup_all(str(tmp_path / "bk"))
    assert manifest["database"]["revision"] is None
    assert manifest["database"]["counts"]["municipalities"] == 41
    assert manifest["uploads"] == {"count": 0, "sha256": {}}
