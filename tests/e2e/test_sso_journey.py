"""A liaison signs in through the prefecture's identity provider (a real oidc-provider on
loopback): its login and consent pages, back to the desk's home; logging out goes through the
provider's logout and back to the desk's login page."""
import re

import pytest
from playwright.sync_api import expect

from supportdesk.extensions import db
from supportdesk.services.accounts.sso_admin import save_provider
from tests.factories import make_liaison, make_user
from tests.oidc_helpers import ACCOUNTS, email_of

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True, SSO_ALLOW_HTTP_LOOPBACK=True)


@pytest.fixture
def browser_also_allowed(oidc_provider):
    return (oidc_provider.issuer,)


def test_a_liaison_signs_in_through_the_provider_and_lands_on_the_desk_home(
        live_app, live_server, browser_page, oidc_provider):
    client_id, secret = oidc_provider.register_client(live_server + "/sso/callback",
                                                      live_server + "/login")
    with live_app.app_context():
        admin = make_user("admin")
        make_liaison(email=email_of("liaison"), name="県 連絡員")
        save_provider(admin, client_secret=secret, name="兵庫県職員認証",
                      issuer=oidc_provider.issuer, client_id=client_id,
                      scopes="openid email profile", email_claim="email", name_claim="name",
                      municipality_id=None, enabled=True, create_users=False, role_claim=None)
        db.session.commit()
    page = browser_page
    page.goto(live_server + "/login")
    page.get_by_role("link", name="兵庫県職員認証でログイン").click()
    expect(page).to_have_url(re.compile(re.escape(oidc_provider.issuer) + "/interaction/"))
    page.get_by_label("ログインID").fill("liaison")
    page.get_by_label("パスワード").fill(ACCOUNTS["liaison"]["password"])
    page.get_by_role("button", name="サインイン").click()
    page.get_by_role("button", name="許可する").click()
    # The liaison's home is the queue.
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/queue"))
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    expect(page.locator("body")).to_contain_text("県 連絡員")
    page.get_by_role("button", name="ログアウト").click()
    page.get_by_role("button", name="ログアウトする").click()  # the provider's confirmation
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/login"))
    expect(page.get_by_role("link", name="兵庫県職員認証でログイン")).to_be_visible()
