"""Glue between Flask-Login and the server-side sessions in services.auth."""
from flask import has_request_context, session
from flask_login import current_user

from .services.auth import load_session


def configure(login_manager):
    login_manager.login_view = "auth.login"
    login_manager.login_message = "ログインしてください。"
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side session record is the protection

    @login_manager.user_loader
    def _load(token):
        sess = load_session(token)
        return sess.user if sess is not None else None


def select_locale():
    if not has_request_context():  # scheduler jobs, the dispatcher, CLI: the default language
        return "ja"
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale or "ja"
    lang = session.get("lang")
    if lang in ("ja", "en"):
        return lang
    return "ja"
