"""Creating, checking and revoking personal API tokens."""
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ...extensions import db
from ...models import ApiToken
from ...models.api_token import TOKEN_SCOPES
from ...timeutil import utcnow
from .. import ValidationFailed
from ..audit import record_audit

TOKEN_PREFIX = "sdk_"


def _hash(clear):
    return hashlib.sha256(clear.encode()).hexdigest()


def max_token_days():
    """The longest validity a token may be given (API_TOKEN_MAX_DAYS): one setting for the
    token page, the CLI and the service."""
    return int(current_app.config["API_TOKEN_MAX_DAYS"])


def create_token(user, *, name, scope="read", days=90, actor=None, now=None):
    """Returns (token row, clear token). The clear token is never stored and shown only once."""
    now = now or utcnow()
    if scope not in TOKEN_SCOPES:
        raise ValidationFailed(_("権限の範囲は read か write を選んでください。"), "scope")
    limit = max_token_days()
    if days is not None and not 1 <= int(days) <= limit:
        raise ValidationFailed(_("有効期間は1〜%(max)d日で指定してください。", max=limit), "days")
    if not user.active:
        raise ValidationFailed(_("無効になっているアカウントにはトークンを発行できません。"), "user")
    if not (name or "").strip():
        raise ValidationFailed(_("名前を入力してください。"), "name")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip()[:100], prefix=clear[:12], token_hash=_hash(clear),
                     scope=scope, created_at=now,
                     expires_at=now + timedelta(days=int(days)) if days else None)
    db.session.add(token)
    db.session.flush()
    record_audit("api_token.created", actor=actor or user, target=token, now=now, scope=scope,
                 owner=user.id)
    return token, clear


def find_live_token(clear, now=None):
    """The live token for a presented secret (and its active user), or None."""
    now = now or utcnow()
    if not clear or not clear.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _hash(clear)))
    if token is None or not token.is_live(now) or not token.user.active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        token.last_used_at = now
    return token


def revoke_token(token, actor, now=None):
    now = now or utcnow()
    if token.revoked_at is None:
        token.revoked_at = now
        record_audit("api_token.revoked", actor=actor, target=token, now=now)
    db.session.flush()
    return token


def tokens_of(user):
    return db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.created_at.desc())).all()
