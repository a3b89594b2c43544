"""The admin's side of single sign-on: configuring identity providers and choosing the roles
that must sign in through one."""
import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import IdentityProvider, Municipality, SsoIdentity, SsoRequiredRole
from ...timeutil import utcnow
from .. import ValidationFailed
from ..audit import record_audit
from . import sso_policy
from .sso import allowed_url, forget_metadata

PROVIDER_FIELDS = ("name", "issuer", "client_id", "scopes", "email_claim", "name_claim",
                   "municipality_id", "enabled", "create_users", "role_claim")


def _snapshot(provider):
    # Never the client secret: only whether it changed.
    return {f: getattr(provider, f) for f in PROVIDER_FIELDS}


def _clean(values):
    out = dict(values)
    for key in ("name", "issuer", "client_id", "scopes", "email_claim", "name_claim",
                "role_claim"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip()
    # The issuer is kept exactly as typed (some end with "/"): discovery compares it exactly.
    out["municipality_id"] = out.get("municipality_id") or None
    out["role_claim"] = out.get("role_claim") or None
    scopes = (out.get("scopes") or "").split()
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    out["scopes"] = " ".join(dict.fromkeys(scopes))
    return out


def _validate(values, provider_id):
    if not allowed_url(values["issuer"]):
        raise ValidationFailed(_("issuerは https:// で始まるURLにしてください。"), "issuer")
    mid = values["municipality_id"]
    if mid is not None:
        if db.session.get(Municipality, mid) is None:
            raise ValidationFailed(_("市町を選択してください。"), "municipality_id")
        clash = db.session.scalar(sa.select(IdentityProvider.id).where(
            IdentityProvider.municipality_id == mid))
        if clash is not None and clash != provider_id:
            raise ValidationFailed(_("この市町のIDプロバイダーは既に登録されています。"),
                                   "municipality_id")
    if values["create_users"] and mid is None and not values["role_claim"]:
        raise ValidationFailed(_("県のIDプロバイダーで利用者を作成するには、役割のクレーム名が必要です。"),
                               "role_claim")


def save_provider(actor, provider=None, *, client_secret=None, now=None, **values):
    """Create or change a provider. A blank client secret keeps the stored one (it is never
    shown again); a new provider needs one."""
    permissions.require(actor, "manage", "identity_provider")
    now = now or utcnow()
    values = _clean(values)
    _validate(values, provider.id if provider is not None else None)
    created = provider is None
    if created:
        if not client_secret:
            raise ValidationFailed(_("クライアントシークレットを入力してください。"), "client_secret")
        provider = IdentityProvider(created_at=now)
        db.session.add(provider)
        before = {}
    else:
        before = _snapshot(provider)
        forget_metadata(provider.issuer)
    for field in PROVIDER_FIELDS:
        setattr(provider, field, values[field])
    if client_secret:
        provider.client_secret = client_secret
    unlinked = 0
    if not created and before["issuer"] != provider.issuer:
        # Subjects are unique per issuer only: another issuer's "sub" may name someone else.
        unlinked = db.session.execute(sa.delete(SsoIdentity).where(
            SsoIdentity.provider_id == provider.id)).rowcount
    provider.updated_at = now
    db.session.flush()
    after = _snapshot(provider)
    record_audit("sso.provider_created" if created else "sso.provider_updated", actor=actor,
                 target=provider, now=now, secret_changed=bool(client_secret), unlinked=unlinked,
                 changes={k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]})
    return provider


def set_required_roles(actor, roles, now=None):
    """The roles whose users must sign in by SSO (where a provider serves them)."""
    permissions.require(actor, "manage", "identity_provider")
    now = now or utcnow()
    wanted = {str(r) for r in roles}
    allowed = {str(r) for r in sso_policy.SSO_ROLES}
    if wanted - allowed:
        raise ValidationFailed(_("選択できない役割です。"), "roles")
    prefecture = {str(r) for r in sso_policy.PREFECTURE_ROLES}
    has_prefecture_provider = db.session.scalar(sa.select(IdentityProvider.id).where(
        IdentityProvider.municipality_id.is_(None), IdentityProvider.enabled.is_(True)).limit(1))
    if wanted & prefecture and has_prefecture_provider is None:
        # Nobody of these roles could sign in at all: refuse rather than lock the desk out.
        raise ValidationFailed(_("有効な県のIDプロバイダーがないため、県職員の役割には必須にできません。"),
                               "roles")
    current = sso_policy.required_roles()
    for role in current - wanted:
        db.session.delete(db.session.get(SsoRequiredRole, role))
    for role in wanted - current:
        db.session.add(SsoRequiredRole(role=role, set_at=now, set_by_id=actor.id))
    if wanted != current:
        record_audit("sso.required_roles_changed", actor=actor, now=now,
                     before=sorted(current), after=sorted(wanted))
    db.session.flush()
    return wanted
