"""Path ids that are not rows answer 404 on every route, never 500.

The inventory walks the real url_map, so a route added later is covered without editing this
file: for every rule with an integer argument it puts each bad value in that argument (the
others stay 1), and calls the rule as logged-in users of each role (bearer tokens for /api/v1).
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter

from tests.factories import PASSWORD, make_expert, make_liaison, make_staff, make_user
from tests.test_api import bearer
from tests.test_routes import dummy_value

IGNORED_METHODS = {"HEAD", "OPTIONS"}
MAX_ROW_ID = 2**31 - 1  # the largest PostgreSQL INTEGER: every id column is one
# Out of the INTEGER range of PostgreSQL, out of SQLite's 64 bits, negative, zero, not a number.
BAD = ["99999999999999999999", str(2**31), str(2**63 + 1), "-1", "0", "abc", "1.5", "%201",
       "9" * 5000, "\u0661\u0662"]  # Arabic-Indic digits: \d and int() take them


def int_rules(app):
    for rule in app.url_map.iter_rules():
        names = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if names:
            yield rule, names


def path_with(rule, name, raw):
    """The rule's URL with `raw` (a string, not necessarily a number) in argument `name`."""
    values = {n: dummy_value(c) for n, c in rule._converters.items()}
    values[name] = 987654
    _domain, path = rule.build(values, append_unknown=False)
    return path.replace("987654", raw, 1)


@pytest.fixture
def app(make_app):
    # Server errors answer 500 here (as in production) instead of propagating into the test.
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        yield app


@pytest.fixture
def clients(app):
    """A logged-in test client and a write token per role."""
    users = {"admin": make_user("admin"), "manager": make_user("manager"),
             "liaison": make_liaison(), "staff": make_staff("佐用町"), "expert": make_expert()}
    out = {}
    for role, user in users.items():
        c = app.test_client()
        resp = c.post("/login", data={"email": user.email, "password": PASSWORD})
        assert resp.status_code == 302, role
        out[role] = (c, bearer(user, scope="write"))
    return out


def _call(clients, role, rule, method, url):
    client, token = clients[role]
    headers = token if url.startswith("/api/") else {}
    return client.open(url, method=method, data={}, headers=headers)


def test_every_integer_path_argument_refuses_bad_ids_with_404(app, clients):
    cases = list(int_rules(app))
    assert len(cases) >= 40  # the inventory really ran over the app's routes
    wrong = []
    for rule, names in cases:
        for method in sorted(rule.methods - IGNORED_METHODS):
            for name in names:
                for raw in BAD:
                    url = path_with(rule, name, raw)
                    for role in clients:
                        resp = _call(clients, role, rule, method, url)
                        where = f"{role}: {method} {url} ({rule.endpoint}) -> {resp.status_code}"
                        if resp.status_code != 404 or (url.startswith("/api/") and
                                                       resp.mimetype != "application/problem+json"):
                            wrong.append(f"{where} {resp.mimetype}")
    assert not wrong, f"{len(wrong)} wrong answers:\n" + "\n".join(wrong[:int(__import__("os").environ.get("SHOW_WRONG", "40"))])


def test_the_largest_id_is_routed_and_answers_without_a_server_error(app, clients):
    """2^31-1 is a valid INTEGER: the view runs, finds no row, and refuses (never 5xx)."""
    wrong = []
    for rule, names in int_rules(app):
        for method in sorted(rule.methods - IGNORED_METHODS):
            for name in names:
                url = path_with(rule, name, str(MAX_ROW_ID))
                for role in clients:
                    resp = _call(clients, role, rule, method, url)
                    where = f"{role}: {method} {url} ({rule.endpoint}) -> {resp.status_code}"
                    if resp.status_code not in (302, 303, 400, 403, 404, 409, 422) or (
                            resp.status_code in (302, 303)
                            and "/login" in resp.headers["Location"]):
                        wrong.append(where)
    assert not wrong, f"{len(wrong)} wrong answers:\n" + "\n".join(wrong[:int(__import__("os").environ.get("SHOW_WRONG", "40"))])


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.one_of(st.integers(max_value=0), st.integers(min_value=MAX_ROW_ID + 1),
                   st.integers(min_value=1, max_value=MAX_ROW_ID)))
def test_id_converter_matches_exactly_the_integer_range(app, n):
    adapter = app.url_map.bind("localhost")
    for path in (f"/requests/{n}", f"/api/v1/requests/{n}", f"/visits/{n}"):
        if 1 <= n <= MAX_ROW_ID:
            _endpoint, args = adapter.match(path, method="GET")
            assert list(args.values()) == [n]
        else:
            with pytest.raises((NotFound, MethodNotAllowed)):
                adapter.match(path, method="GET")


@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=12).filter(lambda t: not t.isdigit() and "/" not in t))
def test_id_converter_refuses_what_is_not_a_number(app, text):
    adapter = app.url_map.bind("localhost")
    with pytest.raises(NotFound):
        adapter.match(f"/requests/{text}", method="GET")
