"""Glue between Flask-Login and the server-side sessions in services.auth."""
from babel import Locale
from flask import current_app, has_request_context, session
from flask_babel import gettext
from flask_login import current_user

from .extensions import db
from .models import UserSession
from .services.accounts.auth import load_session
from .sqlite_tx import in_deferred_transaction, write_transaction


def N_(message):
    return message


def configure(login_manager):
    login_manager.login_view = "auth.login"
    # Flask-Login flashes the message through gettext; N_ only marks it for extraction.
    login_manager.login_message = N_("ログインしてください。")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = gettext
    login_manager.session_protection = None  # the server-side session record is the protection

    @login_manager.user_loader
    def _load(token):
        sess = load_session(token)
        pending = db.session.dirty
        if pending and not db.session.new and not db.session.deleted and all(
                isinstance(obj, UserSession) for obj in pending):
            # The activity stamp or the end of an expired session must outlive a request that
            # only reads (the session is rolled back at teardown), or an active user would hit
            # the idle timeout 30 minutes after login. Only our own change is committed here.
            if in_deferred_transaction(db.session):
                # A GET reads in a deferred SQLite transaction, and a write there can fail at
                # once with "database is locked": end it, redo the lookup in an IMMEDIATE one.
                db.session.rollback()
                with write_transaction():
                    sess = load_session(token)
                    db.session.commit()
            else:
                db.session.commit()
        return sess.user if sess is not None else None


def supported_locale(lang):
    """`lang` if the desk offers it (LANGUAGES), else the desk's first language."""
    languages = current_app.config["LANGUAGES"]
    return lang if lang in languages else languages[0]


_LOCALES = {}


def _locale(code):
    """One parsed Locale per code (Flask-Babel parses the selector's string on every request)."""
    locale = _LOCALES.get(code)
    if locale is None:
        locale = _LOCALES[code] = Locale.parse(code)
    return locale


def select_locale():
    if not has_request_context():
        # CLI, scheduler and services outside a request: the configured default (Japanese).
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "ja")
    user = current_user._get_current_object()
    if getattr(user, "is_authenticated", False):
        return _locale(supported_locale(user.locale))
    return _locale(supported_locale(session.get("lang")))
