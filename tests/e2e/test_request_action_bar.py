"""Browser (Chromium): the request page's action bar stays one tidy row of buttons on a desktop
and a grid of full-size buttons on a phone; an action that needs a reason opens its form only
when asked, and the form still works."""
import pytest

from supportdesk.extensions import db
from tests.e2e.helpers import login as _login
from tests.factories import advance_request, make_liaison, make_request

pytestmark = pytest.mark.e2e

BUTTONS = "[data-testid=actions] .action-buttons > :is(a, form, details)"


def _seed(live_app):
    with live_app.app_context():
        liaison = make_liaison("西播磨")
        sreq = make_request(municipality_name="佐用町", kind="lecture", title="行動バーの確認")
        advance_request(sreq, "triage", liaison)
        ids = liaison.email, sreq.id
        db.session.commit()
    return ids


def _boxes(page):
    return [page.locator(BUTTONS).nth(i).bounding_box()
            for i in range(page.locator(BUTTONS).count())]


def _overlap(a, b):
    return (a["x"] < b["x"] + b["width"] - 1 and b["x"] < a["x"] + a["width"] - 1
            and a["y"] < b["y"] + b["height"] - 1 and b["y"] < a["y"] + a["height"] - 1)


def test_action_bar_on_desktop_and_phone(live_app, live_server, browser_page):
    email, request_id = _seed(live_app)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, email)
    page.goto(f"{live_server}/requests/{request_id}")

    # Desktop: the buttons (edit, transitions, reply, and the ones that ask for a reason) share
    # one row, and no reason field is shown until its action is chosen.
    boxes = _boxes(page)
    assert len(boxes) >= 5
    assert len({round(b["y"]) for b in boxes}) == 1, boxes
    assert not page.is_visible("#reason-decline") and not page.is_visible("#hold-until")
    assert page.locator("[data-testid=action-decline] summary").is_visible()

    # Phone (375 px): nothing sticks out sideways, buttons do not overlap and are easy to tap.
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    boxes = _boxes(page)
    for i, a in enumerate(boxes):
        assert a["x"] >= 0 and a["x"] + a["width"] <= 375 and a["height"] >= 40, a
        assert not any(_overlap(a, b) for b in boxes[i + 1:]), (a, boxes)

    # An action that needs a reason opens its own form, which files the action.
    page.click("[data-testid=action-hold] summary")
    assert page.is_visible("#reason-hold") and page.is_visible("#hold-until")
    assert not page.is_visible("#reason-decline")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.fill("#reason-hold", "予算の確定待ち")
    page.fill("#hold-until", "2099-01-31")
    page.click("[data-testid=action-hold] button[type=submit]")
    page.wait_for_selector("[data-testid=state]:has-text('保留')")
    assert "予算の確定待ち" in page.text_content("main")
