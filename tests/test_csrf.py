"""CSRF: every state-changing route refuses a request without a valid token, new routes too."""
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from werkzeug.routing import IntegerConverter

from supportdesk.extensions import csrf, db
from supportdesk.models import AuditLog
from tests.factories import PASSWORD, make_user

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Values that reach a real object where a route needs one; anything else gets a placeholder.
SAMPLE_ARGS = {"code": "28501", "lang": "en"}


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()


def token_from(client, path="/login"):
    page = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert m, page[:500]
    return m.group(1)


def login(client, user, token):
    return client.post("/login", data={"email": user.email, "password": PASSWORD,
                                       "csrf_token": token})


def unsafe_urls(app, user_id, wanted=UNSAFE):
    """(method, url) for every registered rule that accepts one of the wanted methods."""
    found = []
    for rule in app.url_map.iter_rules():
        methods = sorted(set(rule.methods) & set(wanted))
        if not methods:
            continue
        values = {}
        for arg, conv in rule._converters.items():
            kind = type(conv).__name__
            if arg in SAMPLE_ARGS:
                values[arg] = SAMPLE_ARGS[arg]
            elif isinstance(conv, IntegerConverter):  # the app's RowIdConverter too
                values[arg] = user_id
            elif kind == "UUIDConverter":
                values[arg] = uuid.uuid4()
            else:
                values[arg] = "x"
        built = rule.build(values)
        assert built is not None, rule.rule
        found.extend((method, built[1]) for method in methods)
    return found


def test_nothing_but_the_token_api_is_exempt_from_csrf(csrf_app):
    # The API blueprint is exempt for bearer-token callers (no cookie, so no CSRF risk);
    # supportdesk/api/core.py calls csrf.protect() itself when a browser session is used.
    # The form services' endpoint (LoGoフォーム) takes only its connection's bearer token and
    # never looks at the session, so a browser's cookie gets nothing there (checked below).
    assert csrf._exempt_views == {"supportdesk.views.form_intake.receive"}
    assert {bp.name for bp in csrf._exempt_blueprints} == {"api"}


def test_every_state_changing_route_refuses_a_request_without_token(csrf_app):
    admin = make_user("admin")
    client = csrf_app.test_client()
    assert login(client, admin, token_from(client)).status_code == 302
    targets = unsafe_urls(csrf_app, admin.id)
    assert ("POST", "/logout") in targets and ("POST", "/admin/users/new") in targets
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    for method, url in targets:
        if url.startswith("/intake/forms/"):
            # Token-only endpoint: the logged-in admin's session is not a credential there.
            assert client.open(url, method=method, json={"回答ID": "1"}).status_code in (401, 404)
            continue
        resp = client.open(url, method=method, data={"email": "x@example.jp", "active": "y"})
        assert resp.status_code == 400, (method, url, resp.status_code)
        assert "画面の有効期限が切れた可能性があります" in resp.get_data(as_text=True)
        bad = client.open(url, method=method, data={"csrf_token": "forged-token"})
        assert bad.status_code == 400, (method, url, "forged")
    # Nothing happened: still logged in (logout was refused) and no new audit rows.
    assert client.get("/account/password").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == before


def test_login_form_needs_its_token(csrf_app):
    user = make_user("manager")
    client = csrf_app.test_client()
    no_token = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert no_token.status_code == 400
    assert client.get("/account/password").status_code == 302
    # A token issued to another browser's session does not work either.
    other = csrf_app.test_client()
    assert login(client, user, token_from(other)).status_code == 400
    assert login(client, user, token_from(client)).status_code == 302
    assert client.get("/account/password").status_code == 200
    # Logout with its token (from any page's form) works.
    token = token_from(client, "/account/password")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account/password").status_code == 302


def test_expired_token_is_refused(csrf_app):
    user = make_user("manager")
    client = csrf_app.test_client()
    start = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        token = token_from(client)
        clock.shift(timedelta(seconds=csrf_app.config["WTF_CSRF_TIME_LIMIT"] + 60))
        assert login(client, user, token).status_code == 400
        assert login(client, user, token_from(client)).status_code == 302


# The admin forms still pass SelectField choices as tuples (deprecated in WTForms 3.3); that is
# not what this test is about.
@pytest.mark.filterwarnings("ignore:Passing SelectField choices:DeprecationWarning")
def test_get_requests_change_nothing(csrf_app):
    """CSRF-2: a GET never writes (other than the login's own activity stamp, and the audit
    row of a refused access, which answers 404)."""
    admin = make_user("admin")
    client = csrf_app.test_client()
    assert login(client, admin, token_from(client)).status_code == 302
    writes = []

    def _record(conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and "user_sessions" not in statement:
            writes.append((statement, parameters))

    targets = [(m, url) for m, url in unsafe_urls(csrf_app, admin.id, ("GET",))
               if not url.startswith("/static/")]
    assert ("GET", "/admin/audit") in targets
    sa.event.listen(db.engine, "before_cursor_execute", _record)
    try:
        for _method, url in targets:
            resp = client.get(url)
            assert resp.status_code < 500, url
            # The audit row's chain head moves with it (models/chain.py): not a write of its own.
            audit = [(st, params) for st, params in writes if "chain_heads" not in st]
            if resp.status_code == 404 and audit and all(
                    st.startswith("INSERT INTO audit_logs") and "access.denied" in (
                        params.values() if isinstance(params, dict) else params)
                    for st, params in audit):
                writes.clear()  # the refusal is audited, nothing else is written
            assert not writes, (url, writes)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", _record)
