"""The application factory: create_app() and its register_* helpers. Nothing runs at import time."""
import logging
import os
import secrets

from flask import Flask

from . import sqlite_tx  # noqa: F401  (the SQLite connection and BEGIN listeners)
from .config import Defaults, env_overrides, normalise_db_url

logger = logging.getLogger(__name__)


class ConfigurationError(RuntimeError):
    pass


class SupportDesk(Flask):
    def log_exception(self, exc_info):
        """Left to the 500 handler (views/errors.py), which logs the traceback once, together
        with the reference id the user sees."""


def create_app(test_config=None):
    # instance/ normally sits beside the package; an operator (SUPPORTDESK_INSTANCE_PATH) or a
    # test (INSTANCE_PATH) can put it elsewhere. It must be known before instance/config.py is read.
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "SUPPORTDESK_INSTANCE_PATH") or None
    app = SupportDesk(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(env_overrides())
    else:
        app.config.update(env_overrides({k: v for k, v in os.environ.items()
                                         if k.startswith("SUPPORTDESK_PASSWORD_HASH")}))
        app.config.update(test_config)
    configure_secret_key(app)
    configure_database(app)
    configure_networks(app)
    if app.config["ENV"] != "production":
        # Plain http on 127.0.0.1 in development: a Secure cookie would never come back.
        if not app.config.get("FORCE_SECURE_COOKIES"):
            app.config["SESSION_COOKIE_SECURE"] = False
            app.config["SESSION_COOKIE_NAME"] = "supportdesk"
    if app.config.get("TRUSTED_PROXIES"):
        # Behind nginx the client address is in X-Forwarded-For; login throttling needs it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
    register_extensions(app)
    register_network_guards(app)
    register_url_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


MIN_SECRET_KEY_LENGTH = 24


def configure_secret_key(app):
    key = app.config.get("SECRET_KEY")
    weak = not key or key in ("change-me", "dev", "secret")
    if app.config["ENV"] == "production" and (weak or len(key) < MIN_SECRET_KEY_LENGTH):
        raise ConfigurationError(
            f"SECRET_KEY is not set or too weak (at least {MIN_SECRET_KEY_LENGTH} characters). "
            "In production set a long random SECRET_KEY in the environment or in "
            "instance/config.py (for example: python3 -c 'import secrets; "
            "print(secrets.token_hex(32))')."
        )
    if not weak:
        return
    os.makedirs(app.instance_path, exist_ok=True)
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        app.config["SECRET_KEY"] = fh.read().strip()


def configure_database(app):
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        os.makedirs(app.instance_path, exist_ok=True)
        uri = "sqlite:///" + os.path.join(app.instance_path, "supportdesk.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(uri)
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def configure_networks(app):
    from .network_access import NetworkConfigError, configure

    try:
        configure(app)
    except NetworkConfigError as exc:
        raise ConfigurationError(f"Network settings: {exc}") from None


def register_network_guards(app):
    """Unknown Host headers are refused, the admin area answers only in its zone; these run
    before every other before_request hook."""
    from .network_access import register

    register(app)


def register_extensions(app):
    from . import auth_loader, csrf_tokens
    from . import lazy_migrate
    from .extensions import babel, csrf, db, limiter, login_manager

    db.init_app(app)
    sqlite_tx.register(app)
    lazy_migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
                          render_as_batch=True, compare_type=True, include_object=_include_in_migrations)
    csrf.init_app(app)
    csrf_tokens.init_app(app)  # a page view reuses the session's token signed < 1 min ago
    limiter.init_app(app)
    login_manager.init_app(app)
    auth_loader.configure(login_manager)
    babel.init_app(app, locale_selector=auth_loader.select_locale,
                   default_translation_directories=os.path.join(os.path.dirname(__file__),
                                                                "translations"))
    from . import notifications

    notifications.init_app(app)  # announce recorded events just before each commit
    register_mail_secrets()


def register_mail_secrets():
    """The secrets the e-mail channel mints at send time, each from the service that owns it."""
    from .notifications.channels.email import register_secret
    from .services.accounts.password_reset import mint_reset_token

    register_secret("password_reset", mint_reset_token)


def _include_in_migrations(obj, name, type_, reflected, compare_to):
    """Autogenerate skips indexes meant for another database (Index(...).ddl_if(dialect=...)),
    and the search index's objects made by DDL of their own (search_index.py): the FTS5 table
    and its shadow tables on SQLite, the expression GIN index on PostgreSQL."""
    from .search_index import FTS_TABLE, PG_INDEX

    if reflected and ((type_ == "table" and name.startswith(FTS_TABLE))
                      or (type_ == "index" and name == PG_INDEX)):
        return False
    ddl_if = getattr(obj, "_ddl_if", None)
    if type_ == "index" and ddl_if is not None and ddl_if.dialect:
        from .extensions import db

        return db.engine.dialect.name == ddl_if.dialect
    return True


def register_url_converters(app):
    from .converters import register

    register(app)


def register_blueprints(app):
    from .views import BLUEPRINTS

    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    from .api.routes import lazy_blueprint

    app.register_blueprint(lazy_blueprint())  # /api/v1's rules; its code loads on first use


def register_errorhandlers(app):
    from .views.errors import register

    register(app)


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def register_security_headers(app):
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        if "text/html" in response.content_type:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_template_helpers(app):
    from . import template_helpers

    template_helpers.register(app)


def register_cli(app):
    from .cli import register

    register(app)
