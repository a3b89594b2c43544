"""A demo municipal user logs in, sees their municipality's page in Japanese, and logs out."""
import re

import pytest
from playwright.sync_api import expect

from supportdesk.extensions import db
from supportdesk.demo.users import DEMO_PASSWORD, seed_demo_users

pytestmark = pytest.mark.e2e

DEMO_STAFF = "sayo.joho@demo.example.jp"  # 佐用町, information department


def test_demo_staff_login_home_logout(live_app, live_server, browser_page):
    with live_app.app_context():
        seed_demo_users()
        db.session.commit()
    page = browser_page
    console_errors = []  # e.g. a Content-Security-Policy violation
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()

    page.get_by_label("メールアドレス").fill(DEMO_STAFF)
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="ログイン").click()

    # Municipal staff land on their own municipality's page.
    expect(page).to_have_url(live_server + "/municipalities/28501")
    expect(page.locator("h1")).to_contain_text("佐用町")
    expect(page.get_by_role("heading", name="プロフィール")).to_be_visible()
    expect(page.locator("dl")).to_contain_text("西播磨")
    expect(page.locator(".who")).to_contain_text("佐用 情報")
    # The vendored stylesheet loaded from the app itself.
    assert page.evaluate("document.styleSheets[0].cssRules.length") > 0

    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()
    expect(page.locator(".flash")).to_contain_text("ログアウトしました。")
    expect(page.get_by_role("button", name="ログアウト")).to_have_count(0)

    # After logout the municipality page is closed again.
    page.goto(live_server + "/municipalities/28501")
    expect(page).to_have_url(re.compile(r"/login"))
    assert console_errors == []


def test_request_to_another_host_is_seen_and_blocked(live_server):
    """The guard behind browser_page really notices (and stops) requests off the app's host."""
    from playwright.sync_api import Error as PlaywrightError

    from tests.e2e.conftest import BrowserSession

    tracker, elsewhere = "http://203.0.113.7/tracker.png", "http://203.0.113.7/page"
    session = BrowserSession(live_server)
    with session.open() as page:
        page.goto(live_server + "/login")
        # An injected image: the app's CSP already refuses it, and the recorder still sees it.
        with page.expect_event("requestfailed") as failed:
            page.evaluate("""(src) => { const img = document.createElement('img');
                                        img.src = src; document.body.appendChild(img); }""",
                          tracker)
        assert failed.value.url == tracker
        # A navigation is not subject to the CSP: the route guard aborts it.
        with pytest.raises(PlaywrightError):
            page.goto(elsewhere)
    assert session.foreign() == [tracker, elsewhere]
    assert session.aborted == [elsewhere]
    assert any(url.endswith("/static/css/app.css") for url in session.seen)
