"""A web worker does not load the libraries only some pages or commands need.

They cost a gunicorn worker memory for good (bench/memory_bench.py): zxcvbn's frequency lists
~12 MiB, Flask-Migrate with alembic/mako/pygments ~11, openpyxl with PIL ~7, icalendar with
dateutil ~3, segno ~2; on SQLite the PostgreSQL dialect ~2 (only PostgreSQL's search and the
audit chain's INSERT ... ON CONFLICT use it); the scheduler module with every job's code (the IMAP
poller among them), which only the scheduler process and its admin page need; the API's modules
with pydantic and its schema classes ~11 MiB (supportdesk/api/routes.py: its URL rules are
registered at start, its code loads on the first /api/v1 request). Each is imported inside the
function that uses it. Checked in a fresh interpreter: the app is created and answers
a page, then sys.modules is read.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAZY = ("zxcvbn", "openpyxl", "PIL", "icalendar", "segno", "pyotp", "apscheduler",
        "flask_migrate", "alembic", "mako", "pygments", "schemathesis", "hypothesis", "pytest",
        "imaplib", "pydantic", "pydantic_core")
# Modules inside packages a worker does load (checked by their full name).
LAZY_MODULES = ("sqlalchemy.dialects.postgresql", "supportdesk.scheduler",
                "supportdesk.services.mail_in.imap", "supportdesk.api.core",
                "supportdesk.api.openapi", "supportdesk.api.schemas")

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


# The API (/api/v1): pydantic and its schema classes load on the first request routed to it.
API_PROBE = """
import json, re, sys
from supportdesk import create_app
from supportdesk.extensions import db
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1],
                  "SECRET_KEY": "lazy-import-probe-secret-key", "TESTING": True})
with app.app_context():
    db.create_all()
    from tests.factories import PASSWORD, make_user
    from supportdesk.services.accounts.api_tokens import create_token
    user = make_user("admin")
    _t, clear = create_token(user, name="probe", scope="write", days=30)
    db.session.commit()
    email = user.email
client = app.test_client()
page = client.get("/login").get_data(as_text=True)
csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
assert client.post("/login", data={"email": email, "password": PASSWORD,
                                   "csrf_token": csrf}).status_code == 302
tokens_page = client.get("/account/tokens/").get_data(as_text=True)  # url_for("api.docs")
out = {"ui_modules": sorted(sys.modules), "tokens_page": tokens_page}
bearer = {"Authorization": "Bearer " + clear}
anonymous = app.test_client()
CALLS = [("anonymous GET", lambda: anonymous.get("/api/v1/requests")),
         ("token POST, no CSRF token", lambda: anonymous.post("/api/v1/notifications/read-all",
                                                              headers=bearer)),
         ("session POST, no CSRF token", lambda: client.post("/api/v1/notifications/read-all")),
         ("session GET", lambda: client.get("/api/v1/me")),
         ("openapi.json", lambda: anonymous.get("/api/v1/openapi.json"))]
for round_ in ("first", "again"):
    for name, call in CALLS:
        resp = call()
        out.setdefault(round_, {})[name] = [resp.status_code, resp.mimetype,
                                            resp.headers.get("WWW-Authenticate"),
                                            resp.get_data(as_text=True)]
from supportdesk.api.openapi import build_document
with app.app_context():
    out["document"] = build_document()
print(json.dumps(out))
"""


def test_the_api_loads_on_its_first_request_and_answers_as_it_does_afterwards(tmp_path):
    out = subprocess.run([sys.executable, "-c", API_PROBE, str(tmp_path / "probe.sqlite3")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"})
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    ui_modules = set(got["ui_modules"])
    assert "supportdesk.views.account" in ui_modules or len(ui_modules) > 100
    # A UI page, logged in, whose template links to the API, ran without loading the API.
    assert 'href="/api/v1/docs"' in got["tokens_page"]
    assert sorted(m for m in ui_modules if m.split(".")[0] in ("pydantic", "pydantic_core")) == []
    assert sorted(m for m in ui_modules if m.startswith("supportdesk.api.")) == \
        ["supportdesk.api.routes"]
    first, again = got["first"], got["again"]
    assert first == again  # the first call of each kind answers as every later one does
    status, mimetype, www_auth, _body = first["anonymous GET"]
    assert (status, mimetype, www_auth) == (401, "application/problem+json", "Bearer")
    status, mimetype, _, body = first["token POST, no CSRF token"]
    assert (status, mimetype) == (200, "application/json"), body  # the API is CSRF-exempt ...
    status, mimetype, _, body = first["session POST, no CSRF token"]
    assert (status, mimetype) == (400, "application/problem+json"), body  # ... a session is not
    status, _, _, body = first["session GET"]
    assert status == 200 and json.loads(body)["role"] == "admin"
    status, _, _, body = first["openapi.json"]
    assert status == 200 and json.loads(body) == got["document"]


def test_the_rules_the_app_registers_at_start_are_the_rules_the_api_declares(app):
    from supportdesk.api.routes import ROUTES, declared_routes, harvest

    assert sorted(ROUTES) == declared_routes(), \
        "update ROUTES in supportdesk/api/routes.py: python -m supportdesk.api.routes prints it"

    def api_rules(url_map):
        return sorted((r.rule, r.endpoint, sorted(r.methods),
                       sorted((k, type(c).__name__) for k, c in r._converters.items()))
                      for r in url_map.iter_rules() if r.endpoint.startswith("api."))

    assert len(api_rules(app.url_map)) == len(ROUTES) >= 60
    assert api_rules(app.url_map) == api_rules(harvest().url_map)
