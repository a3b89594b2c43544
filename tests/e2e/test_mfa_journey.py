"""A user turns on two-factor login in the browser, then logs in with password and code."""
import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from supportdesk.extensions import db
from tests.factories import PASSWORD, make_staff

pytestmark = pytest.mark.e2e


def test_enrol_then_log_in_with_a_code(live_app, live_server, browser_page):
    with live_app.app_context():
        email = make_staff().email
        db.session.commit()
    page = browser_page
    console_errors = []  # e.g. a Content-Security-Policy violation
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    def log_in():
        page.goto(live_server + "/login")
        page.get_by_label("メールアドレス").fill(email)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()

    log_in()
    page.get_by_role("link", name="2段階認証").click()
    page.get_by_role("button", name="設定を始める").click()
    expect(page.locator("[data-testid=mfa-qr] svg")).to_be_visible()
    secret = page.get_by_test_id("mfa-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("確認コード").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="有効にする").click()
    expect(page.locator(".error")).to_contain_text("確認コードが正しくありません。")
    page.get_by_label("確認コード").fill(totp.now())
    page.get_by_role("button", name="有効にする").click()
    expect(page.locator(".flash")).to_contain_text("2段階認証を有効にしました。")
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_role("button", name="ログアウト").click()

    log_in()
    expect(page).to_have_url(re.compile(r"/login/2fa$"))
    # The next step's code: the one just used for enrolment cannot be used again.
    page.get_by_label("確認コード").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="ログイン").click()
    expect(page).to_have_url(live_server + "/municipalities/28501")
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    assert console_errors == []
