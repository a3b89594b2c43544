"""Configuration: secret key rules, and the order defaults < instance/config.py < environment."""
import os
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk import ConfigurationError, create_app
from supportdesk.config import Defaults
from supportdesk.extensions import db
from supportdesk.models import AuditLog
from tests.factories import make_staff


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No configuration from the machine running the tests; instance/ in a temporary folder."""
    for name in list(os.environ):
        if name.startswith("SUPPORTDESK_") or name in ("DATABASE_URL", "SECRET_KEY"):
            monkeypatch.delenv(name)
    instance = tmp_path / "instance"
    monkeypatch.setenv("SUPPORTDESK_INSTANCE_PATH", str(instance))
    return instance


def test_production_without_secret_key_refuses_to_start(clean_env, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set") as err:
        create_app()
    assert "secrets.token_hex" in str(err.value)  # the message says how to make one
    assert not (clean_env / "secret_key").exists()  # nothing generated in production


@pytest.mark.parametrize("key", [None, "", "change-me", "dev", "short-key-123"])
def test_production_refuses_missing_default_or_short_keys(tmp_path, key):
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"ENV": "production", "SECRET_KEY": key, "INSTANCE_PATH": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "x.sqlite3")})


def test_production_with_secret_key_from_the_environment_starts(clean_env, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = create_app()
    assert app.config["SECRET_KEY"] == "k" * 64
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")


def test_development_generates_a_secret_key_once_and_reuses_it(clean_env):
    first = create_app()
    path = clean_env / "secret_key"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32 and path.read_text().strip() == key
    second = create_app()
    assert second.config["SECRET_KEY"] == key
    assert first.instance_path == str(clean_env)
    # The embedded default database lives in instance/ too.
    assert first.config["SQLALCHEMY_DATABASE_URI"] == (
        "sqlite:///" + str(clean_env / "supportdesk.sqlite3"))


def write_instance_config(instance, tmp_path):
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text(
        "from datetime import timedelta\n"
        "SECRET_KEY = 'secret-from-instance-config-0123456789'\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{tmp_path / 'instance-db.sqlite3'}'\n"
        "LOGIN_MAX_FAILURES_ACCOUNT = 7\n"
        "LOGIN_MAX_FAILURES_ADDRESS = 30\n"
        "SESSION_IDLE_TIMEOUT = timedelta(minutes=20)\n",
        encoding="utf-8")


def test_instance_config_overrides_defaults(clean_env, tmp_path):
    write_instance_config(clean_env, tmp_path)
    app = create_app()
    assert app.config["SECRET_KEY"] == "secret-from-instance-config-0123456789"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance-db.sqlite3")
    assert app.config["LOGIN_MAX_FAILURES_ACCOUNT"] == 7
    assert app.config["LOGIN_MAX_FAILURES_ADDRESS"] == 30
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=20)
    assert app.config["LOGIN_SLOWDOWN_AFTER_ACCOUNT"] == Defaults.LOGIN_SLOWDOWN_AFTER_ACCOUNT
    assert not (clean_env / "secret_key").exists()  # a real key was given: nothing generated


def test_environment_overrides_instance_config(clean_env, tmp_path, monkeypatch):
    write_instance_config(clean_env, tmp_path)
    monkeypatch.setenv("SECRET_KEY", "secret-from-the-environment-0123456789")
    monkeypatch.setenv("DATABASE_URL", "postgresql://desk@db.example.jp/desk")
    monkeypatch.setenv("SUPPORTDESK_LOGIN_MAX_FAILURES_ADDRESS", "40")
    monkeypatch.setenv("SUPPORTDESK_LOGIN_LOCK_DURATION", "600")  # durations in seconds
    monkeypatch.setenv("SUPPORTDESK_BASE_URL", "https://desk.example.jp")
    app = create_app()
    cfg = app.config
    assert cfg["SECRET_KEY"] == "secret-from-the-environment-0123456789"
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://desk@db.example.jp/desk"
    assert cfg["LOGIN_MAX_FAILURES_ADDRESS"] == 40
    assert cfg["LOGIN_MAX_FAILURES_ACCOUNT"] == 7  # instance value not overridden stays
    assert cfg["LOGIN_LOCK_DURATION"] == timedelta(minutes=10)
    assert cfg["BASE_URL"] == "https://desk.example.jp"
    assert cfg["LOGIN_WINDOW"] == Defaults.LOGIN_WINDOW


def test_client_address_comes_from_the_proxy_only_when_configured(make_app):
    for proxies, expected in ((0, "127.0.0.1"), (1, "203.0.113.5")):
        app = make_app(TRUSTED_PROXIES=proxies)
        with app.app_context():
            user = make_staff()
            app.test_client().post("/login", data={"email": user.email, "password": "wrong one!"},
                                   headers={"X-Forwarded-For": "203.0.113.5"})
            row = db.session.scalar(sa.select(AuditLog).where(AuditLog.actor_id == user.id))
            assert row.ip == expected
            db.session.remove()


# Settings that Flask or an extension reads by name (not the desk's own code).
READ_BY_LIBRARIES = {
    "SECRET_KEY": "Flask", "SESSION_COOKIE_HTTPONLY": "Flask", "SESSION_COOKIE_SAMESITE": "Flask",
    "MAX_CONTENT_LENGTH": "Flask", "SQLALCHEMY_DATABASE_URI": "Flask-SQLAlchemy",
    "SQLALCHEMY_TRACK_MODIFICATIONS": "Flask-SQLAlchemy",
    "SQLALCHEMY_ENGINE_OPTIONS": "Flask-SQLAlchemy", "WTF_CSRF_TIME_LIMIT": "Flask-WTF",
    "BABEL_DEFAULT_LOCALE": "Flask-Babel", "BABEL_DEFAULT_TIMEZONE": "Flask-Babel",
    "RATELIMIT_HEADERS_ENABLED": "Flask-Limiter",
}


def test_every_default_setting_is_read_by_something():
    """A setting nothing reads lies to the operator who changes it (API_TOKEN_MAX_DAYS was read by
    nothing while 366 was written three times): each key of Defaults is read by the package
    (its name appears outside config.py), or by the library named in READ_BY_LIBRARIES."""
    import pathlib

    from supportdesk.config import Defaults

    root = pathlib.Path(__file__).resolve().parent.parent
    source = "\n".join(p.read_text(encoding="utf-8") for p in
                       [*(root / "supportdesk").rglob("*.py"), *(root / "templates").rglob("*.*")]
                       if p.name != "config.py" and p.suffix in (".py", ".html", ".txt"))
    keys = [k for k in vars(Defaults) if k.isupper()]
    unread = [k for k in keys if k not in READ_BY_LIBRARIES and k not in source]
    assert not unread, unread
    assert set(READ_BY_LIBRARIES) <= set(keys), set(READ_BY_LIBRARIES) - set(keys)
