"""The signed CSRF token reused for a minute per browser session.

Flask-WTF signs the session's CSRF secret anew on every page view (generate_csrf: an HMAC and a
JSON/base64 round, ~0.1 ms), and every page has forms (the layout's logout and language
switch). The signed token carries its own time and is valid for WTF_CSRF_TIME_LIMIT (hours); a
copy signed less than REUSE_SECONDS ago is just as good, so the next page views of the same
session get that copy (flask.g, where generate_csrf looks first). Validation is untouched.
"""
import threading
import time

from flask import current_app, g, request, session

REUSE_SECONDS = 60
MAX_SESSIONS = 4096  # the copies kept; all forgotten when full (a worker serves a few hundred)


class _Tokens:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_secret = {}


def _names():
    cfg = current_app.config
    return (cfg.get("WTF_CSRF_FIELD_NAME") or "csrf_token",
            cfg.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key)


def _before():
    if request.endpoint == "static":  # no form, and the session stays unread (no Vary: Cookie)
        return
    field, key = _names()
    raw = session.get(field)
    if raw is None or field in g:
        return
    hit = current_app.extensions["csrf_tokens"].by_secret.get((key, raw))
    # The token's own signing time (itsdangerous's clock): a copy is never kept going longer.
    if hit is not None and 0 <= time.time() - hit[1] < REUSE_SECONDS:
        setattr(g, field, hit[0])


def _after(response):
    field, key = _names()
    token = g.get(field)
    if token is None:
        return response
    raw = session.get(field)
    if raw is None:
        return response
    tokens = current_app.extensions["csrf_tokens"]
    hit = tokens.by_secret.get((key, raw))
    if hit is not None and hit[0] == token:
        return response
    # Kept only if it is this session's secret signed (the session may have changed since).
    from itsdangerous import BadData, URLSafeTimedSerializer

    try:
        value, signed_at = URLSafeTimedSerializer(key, salt="wtf-csrf-token").loads(
            token, return_timestamp=True)
    except BadData:
        return response
    if value != raw:
        return response
    with tokens.lock:
        if len(tokens.by_secret) >= MAX_SESSIONS:
            tokens.by_secret.clear()
        tokens.by_secret[(key, raw)] = (token, signed_at.timestamp())
    return response


def init_app(app):
    app.extensions["csrf_tokens"] = _Tokens()
    app.before_request(_before)
    app.after_request(_after)
