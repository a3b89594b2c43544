"""The signed CSRF token is reused for a minute per browser session (csrf_tokens.py): the same
token on the next page views, accepted as before, signed anew after a minute, never given to
another session."""
import re
from datetime import UTC, datetime, timedelta

import time_machine

from tests.factories import PASSWORD, make_user
from tests.test_csrf import csrf_app, login, token_from  # noqa: F401  (the fixture)

START = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)


def layout_token(client, path="/account/password"):
    """The token of the layout's logout form."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_next_page_views_reuse_the_token_for_a_minute_and_it_is_accepted(csrf_app):
    user = make_user("manager")
    client = csrf_app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        assert login(client, user, token_from(client)).status_code == 302
        first = layout_token(client)
        clock.shift(timedelta(seconds=30))
        assert layout_token(client) == first == layout_token(client, "/notifications")
        assert token_from(client, "/account/password") == first  # a form's own field too
        clock.shift(timedelta(seconds=31))
        fresh = layout_token(client)
        assert fresh != first
        assert layout_token(client) == fresh
        # The reused token is a real one: it still logs out (within WTF_CSRF_TIME_LIMIT).
        assert client.post("/logout", data={"csrf_token": first}).status_code == 302
    assert client.get("/account/password").status_code == 302


def test_another_session_never_gets_the_reused_token(csrf_app):
    user = make_user("manager")
    one, other = csrf_app.test_client(), csrf_app.test_client()
    with time_machine.travel(START, tick=False):
        assert login(one, user, token_from(one)).status_code == 302
        assert login(other, user, token_from(other)).status_code == 302
        mine, theirs = layout_token(one), layout_token(other)
        assert mine != theirs and layout_token(one) == mine
        assert other.post("/logout", data={"csrf_token": mine}).status_code == 400
        assert other.post("/logout", data={"csrf_token": theirs}).status_code == 302
        assert one.get("/account/password").status_code == 200


def test_an_expired_token_is_not_reused(csrf_app):
    client = csrf_app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        old = token_from(client)
        clock.shift(timedelta(seconds=csrf_app.config["WTF_CSRF_TIME_LIMIT"] + 60))
        new = token_from(client)
        assert new != old
        assert login(client, make_user("manager", password=PASSWORD), new).status_code == 302
