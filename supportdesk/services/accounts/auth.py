"""Authentication rules: password hashing, server-side sessions, login throttling."""
import functools
import hashlib
import logging
import math
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import LoginAttempt, User, UserSession
from ...timeutil import utcnow
from .. import ValidationFailed
from ..audit import record_audit
from .sso_policy import must_use_sso
from ..desk import desk
from ..notification_settings import remember_unread_count, unread_count_of
from ..reference import remember_version, version_column

logger = logging.getLogger(__name__)


def _hasher():
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["PASSWORD_HASH_TIME_COST"],
        memory_cost=cfg["PASSWORD_HASH_MEMORY_COST"],
        parallelism=cfg["PASSWORD_HASH_PARALLELISM"],
    )


def hash_password(password):
    return _hasher().hash(password)


def check_password_policy(password, user=None):
    """Length 12-128, no composition rules, and not a context word (ASVS 6.2)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ValidationFailed(_("パスワードは%(n)d文字以上にしてください。", n=minimum), "password")
    if len(password) > 128:
        raise ValidationFailed(_("パスワードは128文字以内にしてください。"), "password")
    lowered = password.lower()
    banned = ["password", desk().pack, "supportdesk", "12345678", "qwerty"]
    if user is not None and user.email:
        banned.append(user.email.split("@")[0].lower())
    if any(word and word in lowered for word in banned):
        raise ValidationFailed(_("推測されやすい語を含むパスワードは使えません。"), "password")
    from zxcvbn import zxcvbn  # lazy: its frequency lists are ~12 MiB in every worker

    # zxcvbn rates at most 72 characters; a longer password is at least as strong as its start.
    if zxcvbn(password[:72], user_inputs=_context_words(user))["score"] < current_app.config[
            "PASSWORD_MIN_SCORE"]:
        raise ValidationFailed(_("よく使われるパスワードや単純な並びに近いため使えません。"
                                 "単語を3つ以上つなげるなど、長く推測しにくいものにしてください。"),
                               "password")


def _context_words(user):
    """Words an attacker would try first for this desk and this user (zxcvbn user_inputs)."""
    identity = desk()
    words = [identity.pack, identity.prefecture_name[:-1], identity.prefecture_name,
             identity.desk_name, "supportdesk", "liaison", "dx"]
    if user is not None:
        if user.email:
            words += [user.email.split("@")[0], *user.email.split("@")[0].replace("-", ".").split(".")]
        if user.display_name:
            words.append(user.display_name)
        municipality = getattr(user, "municipality", None)
        if municipality is not None:
            words += [municipality.name, municipality.kana or ""]
    return [w for w in words if w]


def set_password(user, password, now=None):
    check_password_policy(password, user)
    user.password_hash = hash_password(password)
    user.password_changed_at = now or utcnow()


def verify_password(user, password):
    if not user or not user.password_hash:
        # Spend the same time as a real check so timing does not reveal unknown accounts.
        _dummy_verify(password)
        return False
    ph = _hasher()
    try:
        ph.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(password)
    return True


_DUMMY = {}


def _dummy_verify(password):
    ph = _hasher()
    key = (ph.time_cost, ph.memory_cost)
    if key not in _DUMMY:
        _DUMMY[key] = ph.hash("dummy-password-for-timing")
    try:
        ph.verify(_DUMMY[key], password)
    except VerificationError:
        pass


# --- sessions ---------------------------------------------------------------

def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user, ip=None, user_agent=None, now=None, sso_provider=None, sso_id_token=None):
    """A new server-side session; `sso_provider` (and its ID token, the logout's hint) when
    single sign-on started it."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    sess = UserSession(token_hash=_token_hash(token), user=user, created_at=now,
                       last_seen_at=now, ip=ip, user_agent=(user_agent or "")[:255],
                       sso_provider_id=sso_provider.id if sso_provider is not None else None,
                       sso_id_token=sso_id_token)
    sess.token = token
    db.session.add(sess)
    db.session.flush()
    user.current_session = sess
    return sess


@functools.cache
def _session_lookup():
    """The lookup's statement, built once (every request runs it)."""
    return (sa.select(UserSession, unread_count_of(UserSession.user_id), version_column())
            .options(joinedload(UserSession.user))
            .where(UserSession.token_hash == sa.bindparam("token_hash")))


def load_session(token, now=None):
    """The live session for a cookie token, or None if it ended, expired or its user is inactive."""
    if not token:
        return None
    now = now or utcnow()
    # What every page needs comes in the same statement, one round trip each fewer: the user,
    # the bell's unread count and the reference lists' version (the layout's nav and footer).
    row = db.session.execute(_session_lookup(), {"token_hash": _token_hash(token)}).first()
    if row is None:
        return None
    sess, unread, version = row
    remember_version(version)
    if sess.ended_at is not None:
        return None
    cfg = current_app.config
    if now - sess.last_seen_at > cfg["SESSION_IDLE_TIMEOUT"]:
        end_session(sess, "idle_timeout", now)
        return None
    if now - sess.created_at > cfg["SESSION_ABSOLUTE_TIMEOUT"]:
        end_session(sess, "absolute_timeout", now)
        return None
    if not sess.user.active:
        end_session(sess, "deactivated", now)
        return None
    # Record activity at most once a minute: no write on every page view.
    if (now - sess.last_seen_at).total_seconds() > 60:
        sess.last_seen_at = now
    sess.token = token
    sess.user.current_session = sess
    remember_unread_count(sess.user_id, unread)
    return sess


def end_session(sess, reason, now=None):
    if sess.ended_at is None:
        sess.ended_at = now or utcnow()
        sess.end_reason = reason


def end_all_sessions(user, reason, keep=None, now=None):
    now = now or utcnow()
    rows = db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    )
    for sess in rows:
        if keep is None or sess.id != keep.id:
            end_session(sess, reason, now)


# --- login and throttling ---------------------------------------------------

@dataclass
class LoginResult:
    user: User | None
    error: str | None = None
    locked: bool = False
    throttled: bool = False
    mfa_pending: bool = False  # the password was right; the second factor is still to come
    sso_required: bool = False  # the password was right, but this role signs in by SSO only


@dataclass
class Throttle:
    locked: bool = False
    slowed: bool = False
    until: object = None


def _failure_times(column, value, since, reset_on_success):
    stmt = sa.select(LoginAttempt.at).where(column == value, LoginAttempt.success.is_(False),
                                            LoginAttempt.at >= since)
    if reset_on_success:
        # By id, not time: attempts in the same instant still come in order.
        last_success = db.session.scalar(
            sa.select(sa.func.max(LoginAttempt.id)).where(
                column == value, LoginAttempt.success.is_(True), LoginAttempt.at >= since)
        )
        if last_success is not None:
            stmt = stmt.where(LoginAttempt.id > last_success)
    # Refused attempts are not recorded, so this stays short even under attack.
    rows = db.session.scalars(stmt.order_by(LoginAttempt.id.desc()).limit(1000)).all()
    return rows[::-1]


def _burst_end(times, limit, window):
    """The latest failure that was the `limit`-th within `window`, or None."""
    found = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] <= window:
            found = times[i]
    return found


def throttle_state(email, ip, now):
    """Whether this account or address is locked, or must wait before its next attempt."""
    cfg = current_app.config
    window, lock = cfg["LOGIN_WINDOW"], cfg["LOGIN_LOCK_DURATION"]
    state = Throttle()
    for column, value, slow_after, lock_after, reset_on_success in (
        (LoginAttempt.email, email, cfg["LOGIN_SLOWDOWN_AFTER_ACCOUNT"],
         cfg["LOGIN_MAX_FAILURES_ACCOUNT"], True),
        # An address is not cleared by a success: one valid account must not give an
        # attacker unlimited guesses against the others from the same address.
        (LoginAttempt.ip, ip, cfg["LOGIN_SLOWDOWN_AFTER_ADDRESS"],
         cfg["LOGIN_MAX_FAILURES_ADDRESS"], False),
    ):
        if value is None:
            continue
        # The lock runs from the failure that reached the limit, even after the failures
        # that led to it have left the counting window.
        times = _failure_times(column, value, now - window - lock, reset_on_success)
        locked_at = _burst_end(times, lock_after, window)
        if locked_at is not None and locked_at + lock > now:
            return Throttle(locked=True, until=locked_at + lock)
        slowed_at = _burst_end(times, slow_after, window)
        if slowed_at is not None and slowed_at == times[-1]:
            until = slowed_at + cfg["LOGIN_SLOWDOWN_DELAY"]
            if until > now and (not state.slowed or until > state.until):
                state = Throttle(slowed=True, until=until)
    return state


def _locked_result(state, now):
    minutes = math.ceil((state.until - now).total_seconds() / 60)
    return LoginResult(None, _("ログインの失敗が続いたため、一時的にロックしています。"
                               "%(minutes)d分ほど待ってから再度お試しください。",
                               minutes=minutes), locked=True)


def login_refusal(email, ip, user, now):
    """The refusal for an account or address that is locked or must wait, or None. A refused
    attempt checks no password or code and records no LoginAttempt, so hammering a locked
    account does not extend the lock: its owner can log in once it runs out."""
    state = throttle_state(email, ip, now)
    if state.locked:
        record_audit("login.locked", actor=user, ip=ip, now=now, email=email)
        return _locked_result(state, now)
    if state.slowed:
        record_audit("login.throttled", actor=user, ip=ip, now=now, email=email)
        seconds = math.ceil((state.until - now).total_seconds())
        return LoginResult(None, _("ログインの失敗が続いています。"
                                   "%(seconds)d秒ほど待ってから再度お試しください。",
                                   seconds=seconds), throttled=True)
    return None


def record_login_failure(email, ip, user, now, action, error):
    """Count a failed password or second-factor check; the lockout message once it locks."""
    db.session.add(LoginAttempt(email=email, ip=ip, at=now, success=False))
    record_audit(action, actor=user, ip=ip, now=now, email=email)
    db.session.flush()
    state = throttle_state(email, ip, now)
    if state.locked:
        record_audit("login.lockout", actor=user, ip=ip, now=now, email=email)
        return _locked_result(state, now)
    return LoginResult(None, error)


def record_login_success(user, ip, now):
    db.session.add(LoginAttempt(email=user.email, ip=ip, at=now, success=True))
    record_audit("login.success", actor=user, ip=ip, now=now)
    return LoginResult(user)


def authenticate(email, password, ip=None, now=None, admin_zone=True):
    """Check a login. Records the attempt and the audit row; never says which part was wrong.
    With two-factor login on, a right password only opens the second step (mfa_pending): no
    success is recorded, so it neither logs in nor clears the account's failure count.
    `admin_zone` False (the request came through a host name or an address outside ADMIN_HOSTS /
    ADMIN_NETWORKS, network_access.py) refuses an admin account after its password checked out,
    so the refusal tells nothing to whoever does not know the password."""
    now = now or utcnow()
    email = (email or "").strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    refusal = login_refusal(email, ip, user, now)
    if refusal is not None:
        return refusal
    ok = verify_password(user, password) and user.active
    if not ok:
        return record_login_failure(email, ip, user, now, "login.failure",
                                    _("メールアドレスまたはパスワードが正しくありません。"))
    if not admin_zone and permissions.can(user, "view", "admin_area"):
        record_audit("login.admin_zone_refused", actor=user, ip=ip, now=now)
        return LoginResult(None, _("管理者アカウントは、この接続(ホスト名・ネットワーク)からは"
                                   "ログインできません。管理用に指定された接続からログインして"
                                   "ください。"))
    # Only after a right password, so the refusal tells a guesser nothing about the account.
    if must_use_sso(user):
        record_audit("login.sso_required", actor=user, ip=ip, now=now)
        return LoginResult(None, _("この役割の利用者はパスワードではログインできません。"
                                   "「シングルサインオン」のボタンからログインしてください。"),
                           sso_required=True)
    if user.has_totp:
        record_audit("login.mfa_challenge", actor=user, ip=ip, now=now)
        return LoginResult(user, mfa_pending=True)
    return record_login_success(user, ip, now)


def change_password(user, current_password, new_password, current_session=None, now=None):
    now = now or utcnow()
    if not verify_password(user, current_password):
        raise ValidationFailed(_("現在のパスワードが正しくありません。"), "current_password")
    set_password(user, new_password, now)
    end_all_sessions(user, "password_changed", now=now)
    record_audit("user.password_changed", actor=user, target=user, now=now)
    # The caller starts a fresh session for the person who just changed it.
    return user
