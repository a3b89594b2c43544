"""A web worker does not load the libraries only some pages or commands need.

They cost a gunicorn worker memory for good (bench/memory_bench.py): zxcvbn's frequency lists
~12 MiB, Flask-Migrate with alembic/mako/pygments ~11, openpyxl with PIL ~7, icalendar with
dateutil ~3, segno ~2; on SQLite the PostgreSQL dialect ~2 (only PostgreSQL's search and the
audit chain's INSERT ... ON CONFLICT use it); the scheduler module with every job's code (the IMAP
poller among them), which only the scheduler process and its admin page need. Each is imported
inside the function that uses it. Checked in a fresh interpreter: the app is created and answers
a page, then sys.modules is read.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAZY = ("zxcvbn", "openpyxl", "PIL", "icalendar", "segno", "pyotp", "apscheduler",
        "flask_migrate", "alembic", "mako", "pygments", "schemathesis", "hypothesis", "pytest",
        "imaplib")
# Modules inside packages a worker does load (checked by their full name).
LAZY_MODULES = ("sqlalchemy.dialects.postgresql", "supportdesk.scheduler",
                "supportdesk.services.mail_in.imap")

PROBE = """
import json, sys
from supportdesk import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1],
                  "SECRET_KEY": "lazy-import-probe-secret-key", "TESTING": True})
with app.app_context():
    from supportdesk.extensions import db
    db.create_all()
client = app.test_client()
assert client.get("/login").status_code == 200
assert client.get("/healthz").status_code == 200
print(json.dumps(sorted(sys.modules)))
"""


def test_a_started_app_has_not_imported_the_heavy_libraries(tmp_path):
    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "probe.sqlite3")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"})
    assert out.returncode == 0, out.stderr[-2000:]
    modules = set(json.loads(out.stdout.strip().splitlines()[-1]))
    loaded = {m.split(".")[0] for m in modules}
    assert "flask" in loaded and "sqlalchemy" in loaded  # the probe did run the app
    assert "sqlalchemy.dialects.sqlite" in modules  # ... on SQLite
    assert sorted(loaded & set(LAZY)) == []
    assert sorted(modules & set(LAZY_MODULES)) == []


def test_the_lazy_paths_still_load_what_they_need(app):
    from supportdesk.services.accounts import mfa

    assert len(mfa._pyotp().random_base32()) >= 16
    assert "<svg" in mfa._segno().make("otpauth://totp/x?secret=ABC").svg_inline()
    result = app.test_cli_runner().invoke(args=["db", "--help"])
    assert result.exit_code == 0 and "upgrade" in result.output
    from supportdesk.models.chain import _dialect_insert

    assert _dialect_insert("postgresql").__module__ == "sqlalchemy.dialects.postgresql.dml"
    assert _dialect_insert("sqlite").__module__ == "sqlalchemy.dialects.sqlite.dml"
