"""Short-lived signed tokens bound to a user's current credentials (no table).

A token carries the user id and a fingerprint of what must not have changed since it was
issued (the password hash, for instance); it is signed with SECRET_KEY and a purpose-specific
salt, and it expires. Used by the e-mailed password-reset link and by the login's pending
second step (TOTP).
"""
import hashlib
import hmac
from datetime import UTC, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

CLOCK_SKEW = timedelta(seconds=60)


def fingerprint(*parts):
    # A digest, not the values: the token is signed but readable by whoever holds it.
    return hashlib.sha256("|".join(str(p or "") for p in parts).encode()).hexdigest()[:24]


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def issue(salt, user_id, print_):
    return _serializer(salt).dumps({"u": user_id, "f": print_})


def read(salt, token, max_age, now):
    """(user id, fingerprint) of a well-signed token issued within max_age of now, else None.
    The caller loads the user and compares the fingerprint with matches()."""
    if not token:
        return None
    try:
        data, issued = _serializer(salt).loads(token, return_timestamp=True)
        user_id, print_ = int(data["u"]), str(data["f"])
    except (BadData, KeyError, TypeError, ValueError):
        return None
    if issued.tzinfo is None:
        issued = issued.replace(tzinfo=UTC)
    if not -CLOCK_SKEW <= now - issued <= max_age:
        return None
    return user_id, print_


def matches(print_, expected):
    return hmac.compare_digest(print_, expected)
