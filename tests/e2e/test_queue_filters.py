"""Browser (Chromium): the queue's filters fold away on a phone, so the first request shows on
the first screen, and stay open without a click on a desktop; no script needed for either."""
import pytest

from supportdesk.extensions import db
from tests.e2e.helpers import login as _login
from tests.factories import make_liaison, make_request

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
FIRST_ROW = "table.queue tbody tr[data-request-id] >> nth=0"


def _seed(live_app):
    with live_app.app_context():
        liaison = make_liaison("西播磨", central=True)
        for i in range(5):
            make_request(title=f"キューの依頼{i}", municipality_name="佐用町")
        email = liaison.email
        db.session.commit()
    return email


def _in_first_screen(page, selector, height):
    box = page.locator(selector).bounding_box()
    return box is not None and box["height"] > 0 and box["y"] + box["height"] <= height


def test_queue_filters_fold_on_a_phone_and_stay_open_on_a_desktop(live_app, live_server,
                                                                   browser_page):
    email = _seed(live_app)
    page = browser_page
    page.set_viewport_size(PHONE)
    _login(page, live_server, email)
    page.goto(f"{live_server}/queue/")

    # Phone: the filters are folded behind their summary and the first request is on screen.
    summary = page.locator("[data-testid=queue-filters] > summary")
    assert summary.is_visible() and summary.inner_text().startswith("絞り込み")
    assert not page.is_visible("#f-q")
    assert _in_first_screen(page, FIRST_ROW, PHONE["height"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Opening the summary shows the form, which still filters.
    summary.click()
    assert page.is_visible("#f-q") and page.is_visible("#f-kind")
    page.fill("#f-q", "キューの依頼3")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(lambda url: "q=" in url)
    assert page.locator("table.queue tbody tr[data-request-id]").count() == 1
    # The summary counts the filter in force; the results still come first.
    assert page.inner_text("[data-testid=active-filters]") == "1"
    assert not page.is_visible("#f-q")
    assert _in_first_screen(page, FIRST_ROW, PHONE["height"])

    # Desktop: every filter field is there without a click, and no summary to click.
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/queue/")
    assert not summary.is_visible()
    for field in ("#f-q", "#f-kind", "#f-theme", "#f-region", "#f-muni", "#f-assignee"):
        assert page.is_visible(field), field
    assert page.is_visible("form.filters button[type=submit]")
