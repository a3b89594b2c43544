"""Route inventory: every URL rule is either listed as public or refuses an anonymous caller.

The test walks the real url_map, so a route added later is covered without editing this file.
"""
import uuid

import pytest
from werkzeug.routing import FloatConverter, IntegerConverter, PathConverter, UUIDConverter

from supportdesk.views import PUBLIC_ENDPOINTS
from tests.factories import make_expert, make_user

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def dummy_value(converter):
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, FloatConverter):
        return 1.0
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    if isinstance(converter, PathConverter):
        return "dummy/path"
    return "28501"  # a string argument: a real municipality code makes the test stricter


def url_for_rule(rule):
    values = {name: dummy_value(conv) for name, conv in rule._converters.items()}
    _domain, path = rule.build(values, append_unknown=False)
    return path


def protected_cases(app):
    cases = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in sorted(rule.methods - IGNORED_METHODS):
            cases.append((rule, method))
    return cases


def assert_refused(resp, method, url):
    where = f"{method} {url} answered {resp.status_code} to an anonymous caller"
    if resp.status_code == 302:
        location = resp.headers["Location"]
        assert location.startswith("/login") or "://localhost/login" in location, where
    else:
        assert resp.status_code in (401, 404), where


def test_every_non_public_route_refuses_anonymous(app, client):
    # Rows with id 1 exist where possible, so a 404 is not just "no such row".
    make_user("admin")
    make_expert()
    cases = protected_cases(app)
    assert len(cases) >= 15  # the inventory really ran over the app's routes
    adapter = app.url_map.bind("localhost")
    for rule, method in cases:
        url = url_for_rule(rule)
        # The dummy URL must route to the rule under test, not to a neighbour.
        assert adapter.match(url, method=method)[0] == rule.endpoint, url
        resp = client.open(url, method=method, data={})
        assert_refused(resp, method, url)


def test_public_endpoints_exist_and_answer_anonymous(app, client):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    # A stale name in PUBLIC_ENDPOINTS would be a hole waiting for a route to take its name.
    assert PUBLIC_ENDPOINTS <= endpoints
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    with client.get("/static/css/app.css") as resp:  # close the file the response streams
        assert resp.status_code == 200
    assert client.post("/language/en", data={"next": "/login"}).status_code == 302


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_logged_out_after_logout_is_anonymous_again(client, login_as, method):
    user = make_user("admin")
    login_as(user)
    assert client.get("/admin/users").status_code == 200
    client.post("/logout")
    resp = client.open("/admin/users/new", method=method, data={})
    assert_refused(resp, method, "/admin/users/new")


def test_each_request_loads_the_user_afresh(app, client, login_as):
    """The client fixture must not carry the logged-in user over from one request to the
    next (see FreshRequestClient in conftest.py): a session ended on the server is refused."""
    from supportdesk.extensions import db
    from supportdesk.services.accounts.auth import end_all_sessions

    user = make_user("admin")
    login_as(user)
    assert client.get("/admin/users").status_code == 200
    end_all_sessions(user, "deactivated")
    db.session.commit()
    assert_refused(client.get("/admin/users"), "GET", "/admin/users")
