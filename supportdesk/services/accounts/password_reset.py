"""Self-service password reset: the request (throttled, no account enumeration), the signed
single-use link, and setting the new password.

The token is an itsdangerous URLSafeTimedSerializer value (signed with SECRET_KEY and its own
salt) carrying the user id and a fingerprint of the account's current e-mail and password hash.
No table: setting any new password (this reset, the change-password page, an admin) changes the
hash, so every link issued before is dead; a used link is dead for the same reason. Expiry is
checked against the signed timestamp, and an inactive account gets no link and cannot use one.

The link is never stored: the outbox row carries a slot that the e-mail channel fills with
mint_reset_token() when it sends the mail, so the database, the failed-delivery page, the audit
log and the logs never hold a usable link.
"""
import logging
import math
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...extensions import db
from ...models import LoginAttempt, PasswordResetRequest, User
from ...timeutil import utcnow
from .. import DomainError
from . import user_tokens
from ..audit import record_audit
from .auth import end_all_sessions, set_password

logger = logging.getLogger(__name__)

EVENT = "account.password_reset"
SALT = "supportdesk.password-reset.v1"
RESET_PATH = "/password/reset/"


class InvalidResetLink(DomainError):
    """The link is malformed, expired, already used, or its account changed or was deactivated."""


def _fingerprint(user_id, email, password_hash):
    return user_tokens.fingerprint(user_id, email, password_hash)


def valid_minutes():
    return int(current_app.config["PASSWORD_RESET_MINUTES"])


def make_reset_token(user):
    return user_tokens.issue(SALT, user.id, _fingerprint(user.id, user.email, user.password_hash))


def mint_reset_token(msg):
    """The e-mail channel's minter (channels/email.py): a fresh token for the row's user, read on
    a connection of its own so the dispatcher's transactions are not involved. The validity
    period starts when the mail leaves, not when it was queued."""
    from ...notifications.channels import DeliveryError

    U = User.__table__
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(U.c.id, U.c.email, U.c.password_hash, U.c.active)
                           .where(U.c.id == msg["user_id"])).first()
    if row is None or not row.active or row.email != msg["to_address"]:
        raise DeliveryError(f"dropped: user {msg['user_id']} is inactive, deleted or has a new "
                            "e-mail address", permanent=True)
    return make_reset_token(row)


def user_for_reset_token(token, now=None):
    """The active user a still-valid link belongs to, or None."""
    read = user_tokens.read(SALT, token, timedelta(minutes=valid_minutes()), now or utcnow())
    if read is None:
        return None
    user_id, print_ = read
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if not user_tokens.matches(print_, _fingerprint(user.id, user.email, user.password_hash)):
        return None
    return user


# --- the request --------------------------------------------------------------

@dataclass
class ResetRequestResult:
    throttled: bool = False
    error: str | None = None


def _throttled_until(email, ip, now):
    """When the oldest request that keeps this address or client over its limit leaves the
    window, or None when neither is over it. Unknown addresses count like known ones."""
    cfg = current_app.config
    window = cfg["PASSWORD_RESET_WINDOW"]
    R = PasswordResetRequest
    until = None
    for column, value, limit in ((R.email, email, cfg["PASSWORD_RESET_MAX_PER_EMAIL"]),
                                 (R.ip, ip, cfg["PASSWORD_RESET_MAX_PER_ADDRESS"])):
        if value is None:
            continue
        recent = db.session.scalars(sa.select(R.at).where(column == value, R.at > now - window)
                                    .order_by(R.at.desc()).limit(limit)).all()
        if len(recent) >= limit:
            free_at = recent[-1] + window
            until = free_at if until is None else max(until, free_at)
    return until


def request_password_reset(email, ip=None, now=None):
    """Record a "forgot password" request and, for an active account with this address only,
    enqueue the reset mail. The caller answers the same whatever the account (commit, then the
    same message), except when throttled, which does not depend on the account either."""
    now = now or utcnow()
    email = (email or "").strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    until = _throttled_until(email, ip, now)
    if until is not None:
        # Refused requests are not recorded: hammering does not extend the wait.
        record_audit("password_reset.throttled", actor=user, ip=ip, now=now, email=email)
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        return ResetRequestResult(True, _(
            "パスワード再設定の依頼が続いたため、受付を一時的に止めています。"
            "%(minutes)d分ほど待ってから再度お試しください。", minutes=minutes))
    db.session.add(PasswordResetRequest(email=email, ip=ip, at=now))
    mailed = user is not None and user.active
    record_audit("password_reset.requested", actor=user, ip=ip, now=now, email=email,
                 mailed=mailed)
    if mailed:
        from ...notifications import notify
        from ...notifications.channels.email import SECRET_SLOT

        notify(EVENT, recipients=[user], channels=("email",), urgent=True, now=now,
               link=RESET_PATH + SECRET_SLOT, email_payload={"secret": "password_reset"},
               link_label=_l("パスワードを再設定する"), minutes=valid_minutes(), user=user)
    db.session.flush()
    logger.info("password reset requested user=%s mailed=%s", getattr(user, "id", None), mailed)
    return ResetRequestResult()


# --- the reset ----------------------------------------------------------------

def complete_password_reset(token, new_password, ip=None, now=None):
    """Set the new password through a valid link: same policy and hashing as everywhere, every
    session of the user ends, the link (and any other one issued before) dies with the old hash.
    Raises InvalidResetLink or ValidationFailed (field "password")."""
    now = now or utcnow()
    user = user_for_reset_token(token, now)
    if user is None:
        raise InvalidResetLink(_("このリンクは無効か、有効期限が切れています。"))
    set_password(user, new_password, now)
    end_all_sessions(user, "password_reset", now=now)
    # Proof of the mailbox counts as a success for the account's login throttle, so an account
    # locked by someone else's guesses opens with the new password (the address lock stays).
    db.session.add(LoginAttempt(email=user.email, ip=ip, at=now, success=True))
    record_audit("password_reset.completed", actor=user, target=user, ip=ip, now=now)
    db.session.flush()
    logger.info("password reset completed user=%s", user.id)
    return user

