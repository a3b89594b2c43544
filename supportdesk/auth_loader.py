"""Glue between Flask-Login and the server-side sessions in services.auth."""
from flask import current_app, has_request_context, session
from flask_babel import gettext
from flask_login import current_user

from .services.auth import load_session


def N_(message):
    return message


def configure(login_manager):
    login_manager.login_view = "auth.login"
    # Flask-Login flashes the message through gettext; N_ only marks it for extraction.
    login_manager.login_message = N_("ログインしてください。")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side session record is the protection

    @login_manager.user_loader
    def _load(token):
        sess = load_session(token)
        return sess.user if sess is not None else None


def select_locale():
    if not has_request_context():
        # CLI, scheduler and services outside a request: the configured default (Japanese).
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "ja")
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale or "ja"
    lang = session.get("lang")
    if lang in ("ja", "en"):
        return lang
    return "ja"
