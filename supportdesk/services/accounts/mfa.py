"""Two-factor login with TOTP (RFC 6238): enrolment, recovery codes, the login's second step,
disabling, the admin reset and the per-role policy.

The secret is kept in users.totp_secret (never shown again after enrolment, never logged). A
code is accepted once: the time step it matched is stored and a code of the same or an older
step is refused. Recovery codes are 60 random bits each, so a SHA-256 digest (of the user id and
the code) is enough: unlike a password, a 2^60 search is out of reach without a slow hash.

The pending login between the password and the code lives in the Flask session as a signed,
5-minute itsdangerous token bound to the user id and a fingerprint of the password hash.
"""
import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from ...extensions import db
from ...models import RecoveryCode, User
from ...timeutil import utcnow
from .. import ValidationFailed
from . import user_tokens
from ..audit import record_audit
from .auth import (end_all_sessions, login_refusal, record_login_failure, record_login_success,
                   verify_password)

logger = logging.getLogger(__name__)

ISSUER = "市町DX支援デスク"
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
PENDING_SALT = "supportdesk.mfa-pending.v1"
PENDING_SECONDS = 300
VALID_WINDOW = 1  # one 30-second step either side, for clock drift


def _pyotp():
    import pyotp  # lazy, like segno: only enrolment and the code check need them

    return pyotp


def _segno():
    import segno

    return segno


# --- policy -----------------------------------------------------------------

def required_roles():
    raw = current_app.config.get("MFA_REQUIRED_ROLES") or ""
    if isinstance(raw, str):
        raw = raw.split(",")
    return {role.strip() for role in raw if role and role.strip()}


def must_enrol(user):
    """True when the user's role requires two-factor login and they have not set it up. Not in
    a session started by single sign-on: the identity provider checked the factors there."""
    sess = user.current_session
    if sess is not None and sess.sso_provider_id is not None:
        return False
    return user.role in required_roles() and not user.has_totp


# --- codes ------------------------------------------------------------------

def _normalise(code):
    return "".join((code or "").split()).replace("-", "").lower()


def _matching_step(secret, code, now):
    """The time step the 6-digit code belongs to within VALID_WINDOW of now, or None.
    pyotp's verify(valid_window=1) without the step it matched: we need it against replay."""
    code = _normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = _pyotp().TOTP(secret)
    current = totp.timecode(now)
    for step in (current - VALID_WINDOW + i for i in range(2 * VALID_WINDOW + 1)):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _consume_totp(user, code, now):
    step = _matching_step(user.totp_secret, code, now)
    if step is None:
        return False
    # One conditional UPDATE: two requests racing with the same code cannot both win.
    done = db.session.execute(
        sa.update(User).where(User.id == user.id, sa.or_(User.totp_last_step.is_(None),
                                                         User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session="fetch"))
    return done.rowcount == 1


def _recovery_hash(user_id, code):
    return hashlib.sha256(f"{user_id}:{_normalise(code)}".encode()).hexdigest()


def _consume_recovery_code(user, code, now):
    code = _normalise(code)
    if len(code) != 12:
        return False
    done = db.session.execute(
        sa.update(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(user.id, code),
            RecoveryCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session="fetch"))
    return done.rowcount == 1


def _new_recovery_codes(user, now):
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _j in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user.id, raw),
                                    created_at=now))
    return codes


def unused_recovery_codes(user):
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


# --- enrolment --------------------------------------------------------------

def pending_secret(user):
    """The secret being enrolled: made on first call and kept until confirmed, so reloading the
    page does not invalidate a code the user has already scanned."""
    if user.has_totp:
        return None
    if not user.totp_secret:
        user.totp_secret = _pyotp().random_base32()
        db.session.flush()
    return user.totp_secret


def grouped(secret):
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_svg(user, secret):
    """The otpauth:// URI as an inline SVG QR code, rendered here (no external service)."""
    uri = _pyotp().TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Markup(_segno().make(uri, error="m").svg_inline(scale=4, light="#fff"))


def _wrong_code():
    return ValidationFailed(_("確認コードが正しくありません。"), "code")


def enable_totp(user, code, now=None):
    """Confirm the pending secret with a current code; returns the recovery codes (shown once)."""
    now = now or utcnow()
    if user.has_totp or not user.totp_secret:
        raise ValidationFailed(_("もう一度最初から設定してください。"), "code")
    if not _consume_totp(user, code, now):
        raise _wrong_code()
    user.totp_enabled_at = now
    codes = _new_recovery_codes(user, now)
    record_audit("mfa.enabled", actor=user, target=user, now=now)
    db.session.flush()
    logger.info("mfa enabled user=%s", user.id)
    return codes


def _check_password_and_code(user, password, code, now):
    if not verify_password(user, password):
        raise ValidationFailed(_("現在のパスワードが正しくありません。"), "password")
    if not user.has_totp or not _consume_totp(user, code, now):
        raise _wrong_code()


def _clear(user):
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable_totp(user, password, code, now=None):
    now = now or utcnow()
    _check_password_and_code(user, password, code, now)
    _clear(user)
    record_audit("mfa.disabled", actor=user, target=user, now=now)
    db.session.flush()
    logger.info("mfa disabled user=%s", user.id)


def regenerate_recovery_codes(user, password, code, now=None):
    now = now or utcnow()
    _check_password_and_code(user, password, code, now)
    codes = _new_recovery_codes(user, now)
    record_audit("mfa.recovery_codes_regenerated", actor=user, target=user, now=now)
    db.session.flush()
    return codes


def reset_mfa_by_admin(actor, user, now=None):
    """For a lost phone: two-factor login off, recovery codes gone, every session ended."""
    now = now or utcnow()
    _clear(user)
    end_all_sessions(user, "mfa_reset_by_admin", now=now)
    record_audit("mfa.reset_by_admin", actor=actor, target=user, now=now)
    db.session.flush()
    logger.info("mfa reset user=%s by=%s", user.id, actor.id)


# --- the login's second step -------------------------------------------------

def _fingerprint(user):
    return user_tokens.fingerprint(user.id, user.password_hash)


def make_pending_token(user):
    return user_tokens.issue(PENDING_SALT, user.id, _fingerprint(user))


def user_for_pending_token(token, now=None):
    """The user whose password was checked less than 5 minutes ago, or None."""
    read = user_tokens.read(PENDING_SALT, token, timedelta(seconds=PENDING_SECONDS),
                            now or utcnow())
    if read is None:
        return None
    user_id, print_ = read
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.has_totp:
        return None
    if not user_tokens.matches(print_, _fingerprint(user)):
        return None
    return user


def complete_mfa_login(user, code, ip=None, now=None):
    """Check the second factor (a TOTP code or an unused recovery code) under the login
    throttle. Returns a LoginResult: its user is set when the caller may start the session."""
    now = now or utcnow()
    refusal = login_refusal(user.email, ip, user, now)
    if refusal is not None:
        return refusal
    if _consume_totp(user, code, now):
        return record_login_success(user, ip, now)
    if _consume_recovery_code(user, code, now):
        record_audit("mfa.recovery_code_used", actor=user, target=user, ip=ip, now=now,
                     remaining=unused_recovery_codes(user))
        return record_login_success(user, ip, now)
    return record_login_failure(user.email, ip, user, now, "login.mfa_failed",
                                _("確認コードが正しくありません。"))
