"""Single sign-on with OpenID Connect (authorization code flow, Authlib as the client).

A sign-in has two halves. `begin_login` makes the state, the nonce and the PKCE code verifier
(S256) and the provider's authorization URL; the caller keeps the three values (the view: in
the signed session cookie) and sends the browser away. `verify_answer` gets them back with the
provider's answer and checks, failing closed at the first that does not hold: the state
(same browser, same sign-in), the issuer of the answer (RFC 9207), the code exchange with the
verifier (the provider refuses a wrong one), the ID token's signature (the provider's keys),
issuer, audience, expiry and nonce. It only reads, so no write lock is held while the
provider answers. Then `complete_login` finds the user: by the link (provider, sub) if there
is one, else once by a VERIFIED e-mail address, which makes the link. Every refusal is
audited (`login.sso_failed` with its reason) and every success is a `login.success`.
"""
import hmac
import ipaddress
import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ...extensions import db
from ...models import IdentityProvider, LoginAttempt, SsoIdentity, User
from ...roles import Role
from ...timeutil import utcnow
from ..audit import record_audit
from . import sso_policy
from .users import create_user

logger = logging.getLogger(__name__)

# Asymmetric signatures only: "none" and HS* (keyed with the client secret) are refused.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                       "ES256", "ES384", "ES512", "EdDSA")
CLAIMABLE = {str(r) for r in sso_policy.CLAIMABLE_ROLES}
_metadata_cache = {}  # issuer -> (fetched at, discovery document, key set)


class SsoFailed(Exception):
    """A sign-in that did not hold; `reason` goes to the audit log, the message to the user."""

    def __init__(self, reason, message=None, user=None):
        super().__init__(reason)
        self.reason = reason
        self.user = user  # the desk user, where the refusal comes after the match
        self.message = message or _("シングルサインオンでログインできませんでした。"
                                    "もう一度ログインしてください。")


@dataclass
class SsoResult:
    user: User | None
    provider: IdentityProvider | None = None
    id_token: str | None = None
    error: str | None = None


# --- the provider's documents -------------------------------------------------

def allowed_url(url):
    """https, or http on a loopback address where the configuration allows it (tests)."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return False
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not current_app.config["SSO_ALLOW_HTTP_LOOPBACK"]:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return False


def _http():
    import requests  # lazy: only a sign-in needs it

    return requests


def _get_json(url):
    resp = _http().get(url, timeout=current_app.config["SSO_HTTP_TIMEOUT"],
                       allow_redirects=False)
    resp.raise_for_status()
    return resp.json()


def discover(issuer, refresh=False):
    """The provider's discovery document and key set, checked and cached per process."""
    ttl = current_app.config["SSO_METADATA_TTL"]
    cached = _metadata_cache.get(issuer)
    if cached and not refresh and time.monotonic() - cached[0] < ttl:
        return cached[1], cached[2]
    if not allowed_url(issuer):
        raise SsoFailed("issuer_not_https")
    try:
        meta = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    except Exception as exc:
        logger.warning("sso discovery failed issuer=%s: %s", issuer, exc)
        raise SsoFailed("discovery") from exc
    # OpenID Connect Discovery 4.3: the document's issuer is exactly the one configured.
    if meta.get("issuer") != issuer:
        raise SsoFailed("discovery_issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not allowed_url(meta.get(key)):
            raise SsoFailed("discovery")
    for key in ("userinfo_endpoint", "end_session_endpoint"):
        if meta.get(key) and not allowed_url(meta[key]):
            raise SsoFailed("discovery")
    methods = meta.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise SsoFailed("no_pkce")
    try:
        keys = _get_json(meta["jwks_uri"])
    except Exception as exc:
        raise SsoFailed("discovery") from exc
    _metadata_cache[issuer] = (time.monotonic(), meta, keys)
    return meta, keys


def forget_metadata(issuer=None):
    """Drop the cached documents (an admin changed the provider, or a key rotated)."""
    if issuer is None:
        _metadata_cache.clear()
    else:
        _metadata_cache.pop(issuer, None)


def _oauth_session(provider, redirect_uri):
    from authlib.integrations.requests_client import OAuth2Session

    return OAuth2Session(provider.client_id, provider.client_secret, scope=provider.scopes,
                         redirect_uri=redirect_uri, code_challenge_method="S256",
                         token_endpoint_auth_method="client_secret_basic",
                         default_timeout=current_app.config["SSO_HTTP_TIMEOUT"])


# --- the first half: off to the provider -----------------------------------------

def begin_login(provider, redirect_uri, now=None):
    """The authorization URL for `provider`, and what the caller must keep until the answer
    comes back (state, nonce, code verifier, provider, time)."""
    if not provider.enabled:
        raise SsoFailed("provider_disabled")
    meta, _keys = discover(provider.issuer)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 wants 43 to 128
    with _oauth_session(provider, redirect_uri) as client:
        url, _state = client.create_authorization_url(
            meta["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce)
    pending = {"provider": provider.id, "state": state, "nonce": nonce, "verifier": verifier,
               "at": int((now or utcnow()).timestamp())}
    return url, pending


def record_start_failure(provider, failure, ip=None, now=None):
    """A sign-in that could not even start (the provider's documents unreachable or wrong)."""
    record_audit("login.sso_failed", ip=ip, now=now or utcnow(), reason=failure.reason,
                 provider=provider.id, step="start")


# --- the second half: the provider's answer -------------------------------------

def _check_answer(pending, params, now):
    if not pending or not params.get("state"):
        raise SsoFailed("state_missing")
    if not hmac.compare_digest(str(pending.get("state", "")), str(params["state"])):
        raise SsoFailed("state_mismatch")
    if now.timestamp() - pending.get("at", 0) > current_app.config["SSO_LOGIN_SECONDS"]:
        raise SsoFailed("expired")
    provider = db.session.get(IdentityProvider, pending.get("provider"))
    if provider is None or not provider.enabled:
        raise SsoFailed("provider_disabled")
    if params.get("error"):
        raise SsoFailed("provider_error:" + str(params["error"])[:40])
    return provider


def _exchange_code(provider, meta, pending, params, redirect_uri):
    # RFC 9207: the answer names its issuer; a different one is a mix-up attack.
    if params.get("iss") is not None and params["iss"] != provider.issuer:
        raise SsoFailed("issuer_mismatch")
    if meta.get("authorization_response_iss_parameter_supported") and not params.get("iss"):
        raise SsoFailed("issuer_missing")
    if not params.get("code"):
        raise SsoFailed("code_missing")
    from authlib.integrations.base_client.errors import OAuthError

    try:
        with _oauth_session(provider, redirect_uri) as client:
            return client.fetch_token(meta["token_endpoint"], code=params["code"],
                                      code_verifier=pending.get("verifier"),
                                      grant_type="authorization_code")
    except OAuthError as exc:  # invalid_grant: a wrong code verifier, a used or stale code
        logger.warning("sso token refused provider=%s: %s", provider.id, exc.error)
        raise SsoFailed("token_refused:" + str(exc.error)[:40]) from exc
    except Exception as exc:
        logger.warning("sso token request failed provider=%s: %s", provider.id, exc)
        raise SsoFailed("token_request") from exc


def _decode_id_token(provider, meta, keys, token, nonce):
    from authlib.oidc.core import CodeIDToken
    from joserfc import jwt
    from joserfc.errors import InvalidClaimError, JoseError, MissingClaimError
    from joserfc.jwk import KeySet
    from joserfc.jws import JWSRegistry

    raw = token.get("id_token")
    if not raw:
        raise SsoFailed("id_token_missing")
    offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in offered if a in ID_TOKEN_ALGORITHMS]
    try:
        decoded = jwt.decode(raw, KeySet.import_key_set(keys),
                             registry=JWSRegistry(algorithms=algorithms,
                                                  strict_check_header=False))
    except (JoseError, ValueError) as exc:
        raise SsoFailed("id_token_signature") from exc
    claims = CodeIDToken(decoded.claims, decoded.header,
                         {"iss": {"essential": True, "values": [provider.issuer]}},
                         {"nonce": nonce, "client_id": provider.client_id,
                          "access_token": token.get("access_token")})
    try:
        claims.validate(leeway=120)
    except (InvalidClaimError, MissingClaimError) as exc:
        which = getattr(exc, "claim", None) or ""
        raise SsoFailed("nonce" if which == "nonce" else f"id_token_claim:{which}"[:60]) from exc
    except JoseError as exc:  # expired, not yet valid
        raise SsoFailed("id_token_claims") from exc
    if not nonce:
        raise SsoFailed("nonce")
    return raw, dict(claims)


def _userinfo(provider, meta, token, sub):
    """The userinfo claims (the e-mail is often only there); their sub must be the token's."""
    if not meta.get("userinfo_endpoint"):
        return {}
    try:
        with _oauth_session(provider, None) as client:
            client.token = token
            resp = client.get(meta["userinfo_endpoint"], allow_redirects=False)
            resp.raise_for_status()
            info = resp.json()
    except Exception as exc:
        raise SsoFailed("userinfo") from exc
    if info.get("sub") != sub:
        raise SsoFailed("userinfo_subject")
    return info


def _verified(value):
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _match_user(provider, claims, now):
    """The desk user for these claims and their link: by sub, else by verified e-mail (no link
    yet), else (only where the admin turned it on) a new user."""
    sub = claims["sub"]
    link = db.session.scalar(sa.select(SsoIdentity).where(
        SsoIdentity.provider_id == provider.id, SsoIdentity.subject == sub))
    if link is not None:
        return link.user, link
    email = claims.get(provider.email_claim)
    if not isinstance(email, str) or "@" not in email:
        raise SsoFailed("no_email", _("IDプロバイダーからメールアドレスが届きませんでした。"
                                      "管理者にお問い合わせください。"))
    if not _verified(claims.get("email_verified")):
        raise SsoFailed("email_unverified", _("IDプロバイダーでメールアドレスが確認済みに"
                                              "なっていないため、ログインできません。"))
    email = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        return _create_user(provider, claims, email, now), None
    if db.session.scalar(sa.select(SsoIdentity.id).where(
            SsoIdentity.provider_id == provider.id, SsoIdentity.user_id == user.id)):
        # The account is linked to another subject of this provider: never re-link by e-mail.
        raise SsoFailed("identity_conflict", _("このアカウントは別のIDと連携済みです。"
                                               "管理者にお問い合わせください。"), user=user)
    return user, None


def _admit(provider, user, link, sub, now):
    """Checked at every sign-in, linked or not: the account is active and this provider serves
    it (a moved or re-roled user no longer signs in through a provider that is not theirs)."""
    if not user.active:
        raise SsoFailed("deactivated", _("このアカウントは利用停止されています。"), user=user)
    if not sso_policy.serves(provider, user):
        raise SsoFailed("role_not_served", _("このIDプロバイダーでは、このアカウントにログインできません。"),
                        user=user)
    if link is None:
        link = SsoIdentity(provider_id=provider.id, subject=sub, user=user, created_at=now)
        db.session.add(link)
        record_audit("sso.linked", actor=user, target=user, now=now, provider=provider.id)
    link.last_login_at = now


def _create_user(provider, claims, email, now):
    if not provider.create_users:
        raise SsoFailed("unknown_user", _("このメールアドレスの利用者はデスクに登録されていません。"
                                          "管理者に登録を依頼してください。"))
    if provider.is_municipal:
        role, municipality_id = Role.STAFF, provider.municipality_id
    else:
        role = claims.get(provider.role_claim) if provider.role_claim else None
        municipality_id = None
        if not isinstance(role, str) or role not in CLAIMABLE:
            raise SsoFailed("role_claim", _("IDプロバイダーから利用できる役割が届きませんでした。"
                                            "管理者に登録を依頼してください。"))
    name = claims.get(provider.name_claim)
    name = name.strip()[:100] if isinstance(name, str) and name.strip() else email.split("@")[0]
    user = create_user(None, email=email, display_name=name, role=str(role),
                       municipality_id=municipality_id, now=now)
    record_audit("sso.user_created", target=user, now=now, provider=provider.id, role=str(role))
    return user


@dataclass
class Answer:
    """What the provider's answer proved (verify_answer), before any write."""
    provider_id: int | None
    claims: dict | None = None
    id_token: str | None = None
    failure: SsoFailed | None = None


def verify_answer(pending, params, redirect_uri, now=None):
    """Check the provider's answer (`params`: the callback's query) against `pending` (what
    begin_login returned): state, issuer, the code exchange with the verifier, the ID token
    and its nonce, the userinfo. Reads the provider's row and calls the provider; writes
    nothing, so the caller can end its read transaction before complete_login writes."""
    now = now or utcnow()
    provider = None
    try:
        provider = _check_answer(pending, params, now)
        meta, keys = discover(provider.issuer)
        token = _exchange_code(provider, meta, pending, params, redirect_uri)
        try:
            raw, claims = _decode_id_token(provider, meta, keys, token, pending.get("nonce"))
        except SsoFailed as exc:
            if exc.reason != "id_token_signature":
                raise
            # Perhaps the provider rotated its keys since we cached them: fetch once more.
            meta, keys = discover(provider.issuer, refresh=True)
            raw, claims = _decode_id_token(provider, meta, keys, token, pending.get("nonce"))
        if provider.email_claim not in claims or "email_verified" not in claims:
            claims = {**_userinfo(provider, meta, token, claims["sub"]), **claims}
    except SsoFailed as exc:
        return Answer(provider.id if provider is not None else None, failure=exc)
    return Answer(provider.id, claims=claims, id_token=raw)


def complete_login(answer, ip=None, now=None):
    """Find (link, or create where allowed) the desk user of a verified answer. An SsoResult
    with the user when the caller may start the session; else its error. Every refusal is
    audited (`login.sso_failed`), every success too (`login.success`). Flushes only."""
    now = now or utcnow()
    provider = db.session.get(IdentityProvider, answer.provider_id) if answer.provider_id else None
    try:
        if answer.failure is not None:
            raise answer.failure
        if provider is None or not provider.enabled:
            raise SsoFailed("provider_disabled")
        user, link = _match_user(provider, answer.claims, now)
        _admit(provider, user, link, answer.claims["sub"], now)
    except SsoFailed as exc:
        record_audit("login.sso_failed", actor=exc.user, ip=ip, now=now, reason=exc.reason,
                     provider=answer.provider_id)
        logger.info("sso login refused provider=%s reason=%s", answer.provider_id, exc.reason)
        return SsoResult(None, provider, error=exc.message)
    db.session.add(LoginAttempt(email=user.email, ip=ip, at=now, success=True))
    record_audit("login.success", actor=user, ip=ip, now=now, method="sso", provider=provider.id)
    db.session.flush()
    return SsoResult(user, provider, id_token=answer.id_token)


# --- logout ----------------------------------------------------------------------

def logout_url(sess, post_logout_redirect_uri):
    """Where to send the browser after the desk's session ended: the provider's
    end_session_endpoint (RP-initiated logout) for a session started by SSO, else None."""
    if sess is None or sess.sso_provider_id is None:
        return None
    provider = db.session.get(IdentityProvider, sess.sso_provider_id)
    if provider is None or not provider.enabled:
        return None
    try:
        meta, _keys = discover(provider.issuer)
    except SsoFailed:
        return None  # the desk's session has ended all the same
    endpoint = meta.get("end_session_endpoint")
    if not endpoint:
        return None
    from authlib.common.urls import add_params_to_uri

    params = {"client_id": provider.client_id,
              "post_logout_redirect_uri": post_logout_redirect_uri}
    if sess.sso_id_token:
        params["id_token_hint"] = sess.sso_id_token
    return add_params_to_uri(endpoint, params)


# --- what the login page shows -----------------------------------------------------

def login_providers():
    """The enabled providers, the prefecture's first, for the login page's buttons."""
    return db.session.scalars(
        sa.select(IdentityProvider).where(IdentityProvider.enabled.is_(True))
        .order_by(IdentityProvider.municipality_id.is_not(None), IdentityProvider.name,
                  IdentityProvider.id)).all()
