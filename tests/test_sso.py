"""Single sign-on against a real OpenID provider on loopback (npm oidc-provider, started once
per test session): matching by verified e-mail then by subject, state / nonce / PKCE failing
closed, deactivated and unknown users, users created only where an admin allowed it, SSO
required for a role, RP-initiated logout, and the admin pages."""
import html
import re

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import AuditLog, IdentityProvider, SsoIdentity, User, UserSession
from supportdesk.services import ValidationFailed
from supportdesk.services.accounts.sso_admin import save_provider, set_required_roles
from supportdesk.services.accounts.users import update_user
from tests.factories import PASSWORD, make_liaison, make_staff, make_user
from tests.oidc_helpers import UserAgent, email_of, query

CALLBACK = "http://localhost/sso/callback"
AFTER_LOGOUT = "http://localhost/login"
REFUSED = "シングルサインオンでログインできませんでした。"


@pytest.fixture(scope="session")
def op_client(oidc_provider):
    """One client at the provider for the Flask test client's callback URL."""
    return oidc_provider.register_client(CALLBACK, AFTER_LOGOUT)


@pytest.fixture
def app(make_app):
    app = make_app(SSO_ALLOW_HTTP_LOOPBACK=True, MFA_REQUIRED_ROLES="liaison")
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def admin(app):
    return make_user("admin", email="sso.admin@pref.example.jp")


def add_provider(admin, oidc_provider, op_client, **values):
    client_id, secret = op_client
    fields = dict(name="兵庫県職員認証", issuer=oidc_provider.issuer, client_id=client_id,
                  scopes="openid email profile", email_claim="email", name_claim="name",
                  municipality_id=None, enabled=True, create_users=False, role_claim=None)
    fields.update(values)
    provider = save_provider(admin, client_secret=secret, **fields)
    db.session.commit()
    return provider


@pytest.fixture
def provider(admin, oidc_provider, op_client):
    return add_provider(admin, oidc_provider, op_client)


def begin(client, provider):
    resp = client.get(f"/sso/{provider.id}/login")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return resp.headers["Location"]


def come_back(client, url):
    parts = url.split("?", 1)
    assert parts[0] == CALLBACK, url
    return client.get("/sso/callback", query_string=parts[1])


def sign_in(client, oidc_provider, provider, login):
    url = UserAgent(oidc_provider.issuer).sign_in(begin(client, provider), login)
    return come_back(client, url)


def logged_in(client):
    resp = client.get("/account/password")
    return resp.status_code == 200


def audit(action):
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)
                              .order_by(AuditLog.id)).all()


def refused_for(reason):
    rows = audit("login.sso_failed")
    assert rows, "no refusal was audited"
    assert rows[-1].detail["reason"] == reason, rows[-1].detail
    return rows[-1]


def test_first_sign_in_links_by_verified_email_then_the_subject_is_what_matches(
        app, client, oidc_provider, provider):
    user = make_liaison(email=email_of("liaison"))
    resp = sign_in(client, oidc_provider, provider, "liaison")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    # Home, not the 2FA enrolment page: the provider checked the factors (MFA_REQUIRED_ROLES).
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200 and home.request.path != "/account/2fa"
    assert logged_in(client)
    link = db.session.scalar(sa.select(SsoIdentity))
    assert (link.user_id, link.subject) == (user.id, "op-sub-liaison")
    sess = db.session.scalar(sa.select(UserSession).where(UserSession.ended_at.is_(None)))
    assert sess.sso_provider_id == provider.id and sess.sso_id_token
    success = audit("login.success")[-1]
    assert success.actor_id == user.id and success.detail["method"] == "sso"
    assert len(audit("sso.linked")) == 1
    # The desk changes the address: the link by subject still finds the user.
    update_user(None, user, email="renamed.liaison@pref.example.jp")
    db.session.commit()
    other = app.test_client()
    assert sign_in(other, oidc_provider, provider, "liaison").headers["Location"] == "/"
    assert logged_in(other)
    assert len(audit("sso.linked")) == 1


def test_a_wrong_or_missing_state_fails_closed(app, client, oidc_provider, provider):
    make_liaison(email=email_of("liaison"))
    url = UserAgent(oidc_provider.issuer).sign_in(begin(client, provider), "liaison")
    resp = come_back(client, url.replace("state=", "state=x"))
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert REFUSED in client.get("/login").get_data(as_text=True)
    assert not logged_in(client)
    refused_for("state_mismatch")
    # The answer of one browser's sign-in brought to another browser: no state of its own.
    url = UserAgent(oidc_provider.issuer).sign_in(begin(client, provider), "liaison")
    stranger = app.test_client()
    assert come_back(stranger, url).headers["Location"] == "/login"
    assert not logged_in(stranger)
    refused_for("state_missing")
    # No state parameter at all.
    assert come_back(client, url.replace("state=", "nostate=")).headers["Location"] == "/login"
    refused_for("state_missing")
    assert not logged_in(client)
    assert audit("login.success") == []


@pytest.mark.parametrize("key, reason", [("nonce", "nonce"),
                                         ("verifier", "token_refused:invalid_grant")])
def test_a_wrong_nonce_or_code_verifier_fails_closed(app, client, oidc_provider, provider, key,
                                                     reason):
    """The stored nonce no longer matches the ID token's; the code verifier no longer matches
    the challenge the provider holds (the provider refuses the code exchange)."""
    make_liaison(email=email_of("liaison"))
    url = UserAgent(oidc_provider.issuer).sign_in(begin(client, provider), "liaison")
    with client.session_transaction() as sess:
        pending = dict(sess["sso_pending"])
        pending[key] = pending[key][:-4] + "AAAA"
        sess["sso_pending"] = pending
    resp = come_back(client, url)
    assert resp.headers["Location"] == "/login"
    assert REFUSED in client.get("/login").get_data(as_text=True)
    assert not logged_in(client)
    refused_for(reason)
    assert audit("login.success") == [] and db.session.scalar(sa.select(SsoIdentity)) is None


def test_unverified_unknown_and_deactivated_users_cannot_sign_in(app, client, oidc_provider,
                                                                 provider):
    make_liaison(email=email_of("unverified"))
    resp = sign_in(client, oidc_provider, provider, "unverified")
    assert resp.headers["Location"] == "/login"
    assert "確認済み" in client.get("/login").get_data(as_text=True)
    refused_for("email_unverified")
    # Nobody in the desk has this address, and the provider may not create users.
    sign_in(client, oidc_provider, provider, "newcomer")
    refused_for("unknown_user")
    assert db.session.scalar(sa.select(User).where(User.email == email_of("newcomer"))) is None
    # Deactivated: before the first link, and after it.
    user = make_liaison(email=email_of("liaison"), active=False)
    sign_in(client, oidc_provider, provider, "liaison")
    refused_for("deactivated")
    assert "利用停止" in client.get("/login").get_data(as_text=True)
    update_user(None, user, active=True)
    db.session.commit()
    sign_in(client, oidc_provider, provider, "liaison")
    assert logged_in(client)
    update_user(None, user, active=False)  # ends the session too
    db.session.commit()
    assert not logged_in(client)
    sign_in(client, oidc_provider, provider, "liaison")
    refused_for("deactivated")
    assert not logged_in(client)


def test_links_are_never_taken_over_and_are_checked_at_every_sign_in(app, client, admin,
                                                                     oidc_provider, provider):
    """An account linked to another subject is not re-linked by e-mail; a linked user whose
    role moved out of the provider's users is refused; a new issuer drops the old links."""
    user = make_liaison(email=email_of("liaison"))
    db.session.add(SsoIdentity(provider_id=provider.id, subject="someone-else", user=user))
    db.session.commit()
    sign_in(client, oidc_provider, provider, "liaison")
    refused = refused_for("identity_conflict")
    assert refused.actor_id == user.id and not logged_in(client)
    db.session.execute(sa.delete(SsoIdentity))
    db.session.commit()
    sign_in(client, oidc_provider, provider, "liaison")
    assert logged_in(client)
    client.post("/logout")
    update_user(admin, user, role="municipal_staff", municipality_id=sayo_id())
    db.session.commit()
    sign_in(client, oidc_provider, provider, "liaison")  # linked, but no longer the provider's
    refused_for("role_not_served")
    assert not logged_in(client)
    values = {f: getattr(provider, f) for f in (
        "name", "client_id", "scopes", "email_claim", "name_claim", "municipality_id",
        "enabled", "create_users", "role_claim")}
    save_provider(admin, provider, issuer=oidc_provider.issuer + "/", **values)
    db.session.commit()
    assert db.session.scalar(sa.select(SsoIdentity)) is None
    assert audit("sso.provider_updated")[-1].detail["unlinked"] == 1


def sayo_id():
    from tests.factories import municipality

    return municipality("佐用町").id


def test_users_are_created_only_where_the_admin_allowed_it_and_never_as_admin(
        app, client, admin, oidc_provider, op_client):
    provider = add_provider(admin, oidc_provider, op_client, create_users=True,
                            role_claim="desk_role", scopes="openid email profile desk")
    sign_in(client, oidc_provider, provider, "newcomer")
    assert logged_in(client)
    user = db.session.scalar(sa.select(User).where(User.email == email_of("newcomer")))
    assert (user.role, user.display_name, user.password_hash) == ("liaison", "新任 花子", None)
    assert audit("sso.user_created")[-1].detail["role"] == "liaison"
    other = app.test_client()
    sign_in(other, oidc_provider, provider, "adminwish")  # desk_role "admin"
    refused_for("role_claim")
    assert db.session.scalar(sa.select(User).where(User.email == email_of("adminwish"))) is None


def test_a_municipal_provider_serves_only_its_own_staff(app, client, admin, oidc_provider,
                                                        op_client):
    from tests.factories import municipality

    sayo = municipality("佐用町")
    provider = add_provider(admin, oidc_provider, op_client, name="佐用町認証",
                            municipality_id=sayo.id)
    make_staff("佐用町", email=email_of("townstaff"))
    sign_in(client, oidc_provider, provider, "townstaff")
    assert logged_in(client)
    make_liaison(email=email_of("liaison"))
    other = app.test_client()
    sign_in(other, oidc_provider, provider, "liaison")
    refused_for("role_not_served")
    assert not logged_in(other)
    # A second provider for the same municipality is refused.
    with pytest.raises(ValidationFailed):
        add_provider(admin, oidc_provider, op_client, name="二つ目", municipality_id=sayo.id)


def test_sso_required_for_a_role_refuses_its_password_login(app, client, admin, provider,
                                                           oidc_provider):
    liaison = make_liaison(email=email_of("liaison"))
    manager = make_user("manager")
    set_required_roles(admin, ["liaison"])
    db.session.commit()
    resp = client.post("/login", data={"email": liaison.email, "password": PASSWORD})
    assert resp.status_code == 200
    assert "パスワードではログインできません" in resp.get_data(as_text=True)
    assert not logged_in(client)
    assert audit("login.sso_required")[-1].actor_id == liaison.id
    # A wrong password still says only that the login failed (nothing about the account).
    resp = client.post("/login", data={"email": liaison.email, "password": PASSWORD + "x"})
    assert "パスワードではログインできません" not in resp.get_data(as_text=True)
    assert client.post("/login", data={"email": manager.email,
                                       "password": PASSWORD}).status_code == 302
    client.post("/logout")
    sign_in(client, oidc_provider, provider, "liaison")
    assert logged_in(client)


def test_a_role_cannot_require_sso_without_a_provider_for_it(app, admin):
    with pytest.raises(ValidationFailed):
        set_required_roles(admin, ["admin"])


def test_logout_ends_the_session_and_goes_through_the_providers_logout(
        app, client, oidc_provider, provider):
    make_liaison(email=email_of("liaison"))
    agent = UserAgent(oidc_provider.issuer)
    come_back(client, agent.sign_in(begin(client, provider), "liaison"))
    assert logged_in(client)
    resp = client.post("/logout")
    assert resp.status_code == 200  # a page that moves on (the CSP's form-action is 'self')
    found = re.search(r'data-testid="provider-logout" href="([^"]+)"|href="([^"]+)" '
                      r'data-testid="provider-logout"', resp.get_data(as_text=True))
    location = html.unescape(found.group(1) or found.group(2))
    assert f'content="0;url={html.escape(location)}"' in resp.get_data(as_text=True)
    assert location.startswith(oidc_provider.issuer + "/session/end")
    params = query(location)
    assert params["post_logout_redirect_uri"] == AFTER_LOGOUT and params["id_token_hint"]
    assert not logged_in(client)
    assert db.session.scalar(sa.select(UserSession)).end_reason == "logout"
    # The provider ends its own session and sends the browser back to the desk's login page.
    assert agent.end_session(location).startswith(AFTER_LOGOUT)
    # Signing in again asks for the password at the provider (its session is gone).
    again = agent._follow(begin(client, provider))[1]
    assert again is not None and 'name="login"' in again.text
    # A password session logs out without the provider.
    user = make_user("manager")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.post("/logout").headers["Location"] == "/login"


def test_admin_pages_configure_providers_and_keep_the_secret(app, client, admin, login_as,
                                                             oidc_provider):
    login_as(admin)
    assert "シングルサインオン" in client.get("/admin/sso").get_data(as_text=True)
    resp = client.post("/admin/sso/new", data={
        "name": "兵庫県職員認証", "issuer": "http://idp.example.jp", "client_id": "desk",
        "client_secret": "s3cret-value", "scopes": "email", "email_claim": "email",
        "name_claim": "name", "municipality_id": "0", "enabled": "y"})
    assert resp.status_code == 200 and "https://" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(IdentityProvider)) is None  # http off loopback
    resp = client.post("/admin/sso/new", data={
        "name": "兵庫県職員認証", "issuer": oidc_provider.issuer, "client_id": "desk",
        "client_secret": "s3cret-value", "scopes": "email", "email_claim": "email",
        "name_claim": "name", "municipality_id": "0", "enabled": "y"})
    assert resp.status_code == 302
    provider = db.session.scalar(sa.select(IdentityProvider))
    assert provider.scopes == "openid email" and provider.municipality_id is None
    page = client.get(f"/admin/sso/{provider.id}").get_data(as_text=True)
    assert "s3cret-value" not in page and "/sso/callback" in page
    # Saved again with the secret left blank: the stored one stays.
    client.post(f"/admin/sso/{provider.id}", data={
        "name": "兵庫県職員認証", "issuer": oidc_provider.issuer, "client_id": "desk2",
        "client_secret": "", "scopes": "openid email", "email_claim": "email",
        "name_claim": "name", "municipality_id": "0"})
    db.session.refresh(provider)
    assert (provider.client_id, provider.client_secret, provider.enabled) == (
        "desk2", "s3cret-value", False)
    assert [a.action for a in audit("sso.provider_created") + audit("sso.provider_updated")] == [
        "sso.provider_created", "sso.provider_updated"]
    assert "s3cret" not in str(audit("sso.provider_updated")[0].detail)
    assert client.get(f"/sso/{provider.id}/login").status_code == 404  # disabled
    assert "兵庫県職員認証でログイン" not in app.test_client().get("/login").get_data(as_text=True)
    login_as(make_user("manager"))
    assert client.get("/admin/sso").status_code == 403


def test_an_unreachable_provider_is_refused_and_audited(app, client, admin, oidc_provider,
                                                        op_client):
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = add_provider(admin, oidc_provider, op_client, issuer=f"http://127.0.0.1:{port}")
    resp = client.get(f"/sso/{provider.id}/login")
    assert resp.headers["Location"] == "/login"
    assert REFUSED in client.get("/login").get_data(as_text=True)
    assert refused_for("discovery").detail["step"] == "start"


def test_http_providers_are_refused_unless_loopback_is_allowed(make_app, oidc_provider):
    app = make_app()  # SSO_ALLOW_HTTP_LOOPBACK off, as in production
    with app.app_context():
        admin = make_user("admin")
        with pytest.raises(ValidationFailed):
            save_provider(admin, client_secret="x", name="p", issuer=oidc_provider.issuer,
                          client_id="c", scopes="openid", email_claim="email",
                          name_claim="name", municipality_id=None, enabled=True,
                          create_users=False, role_claim=None)
        db.session.remove()
