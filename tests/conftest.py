"""Fixtures: an app per test on a fresh database (SQLite file or PostgreSQL schema).

The database comes from one setting, TEST_DATABASE_URL: unset means SQLite; a postgresql://
URL means every test worker gets its own schema there, created and dropped by the suite.
"""
import os
import shutil
import uuid

import pytest
import sqlalchemy as sa
from flask import g, has_app_context, request_started
from flask.testing import FlaskClient

from supportdesk import create_app
from supportdesk.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


def _memoise_url_builders():
    """Compile each URL rule's builder once per test process, not once per app.

    Every test builds an app, and Werkzeug compiles two Python functions (via `ast` and
    `compile`) for each of the desk's ~180 routes: about 80 ms of every test. The generated
    function depends only on the rule's parsed parts and defaults (the rule itself is passed
    as `self` when it is bound), so the same code serves every app of the run. Production
    builds one app per process and is not touched.
    """
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "memoised", False):
        return
    cache = {}

    def compile_builder(self, append_unknown=True):
        key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())),
               append_unknown)
        fn = cache.get(key)
        if fn is None:
            fn = cache[key] = original(self, append_unknown)
        return fn

    compile_builder.memoised = True
    Rule._compile_builder = compile_builder


_memoise_url_builders()
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgres")


def pg_url(schema):
    from supportdesk.config import normalise_db_url

    base = normalise_db_url(TEST_DATABASE_URL)
    sep = "&" if "?" in base else "?"
    # public stays on the path (after the test schema) for the pg_trgm operator classes.
    return f"{base}{sep}options=-csearch_path%3D{schema}%2Cpublic"


def base_config(uri):
    return {
        "TESTING": True,
        "SQLITE_READ_TX_GUARD": "raise",  # a write in a GET's deferred transaction fails the test
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": uri,
        "WTF_CSRF_ENABLED": False,
        # Cheap hashing keeps the suite fast; test_auth checks the production defaults.
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 1024,
        "PASSWORD_HASH_PARALLELISM": 1,
        "SERVER_NAME": None,
    }


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in production.

    The `app` fixture keeps one application context open for the whole test, and a request
    reuses it, so without this Flask-Login's cached user (g._login_user) and Flask-Babel's
    cached locale would leak from one request into the next: a session ended on the server
    would still look logged in. The database session is not in `g` and stays shared.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)
def create_pg_extensions(engine):
    """pg_trgm (queue search index) in public, once per server; parallel runs may race."""
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except sa.exc.IntegrityError:
        pass  # another test process created it at the same moment


class Database:
    """Hands out a fresh, seeded database per test."""

    def __init__(self, tmp_root):
        self.tmp_root = tmp_root
        if IS_POSTGRES:
            self.schema = f"t_{uuid.uuid4().hex[:12]}"
            self.admin_engine = sa.create_engine(
                __import__("supportdesk.config", fromlist=["x"]).normalise_db_url(TEST_DATABASE_URL))
            with self.admin_engine.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {self.schema}")
            create_pg_extensions(self.admin_engine)
            self.uri = pg_url(self.schema)
        else:
            self.template = os.path.join(tmp_root, "template.sqlite3")
            self.uri = "sqlite:///" + self.template
        app = create_app(base_config(self.uri))
        with app.app_context():
            db.create_all()
            from supportdesk.services.seed import seed_reference

            seed_reference()
            db.session.commit()
            self.tables = [t.name for t in reversed(db.metadata.sorted_tables)]
            db.session.remove()
            db.engine.dispose()
        if IS_POSTGRES:
            # One engine for the resets between tests (a whole app per reset costs ~0.1 s).
            self.reset_engine = sa.create_engine(self.uri)

    def fresh_uri(self):
        if IS_POSTGRES:
            return self.uri
        path = os.path.join(self.tmp_root, f"db-{uuid.uuid4().hex}.sqlite3")
        shutil.copyfile(self.template, path)
        return "sqlite:///" + path

    def _prepare_reset(self, conn):
        """Remember the seeded reference data, to reset only what a test changed.

        A per-test TRUNCATE of every table and a reseed cost about 0.5 s on PostgreSQL, most
        of the suite's fixed cost there. Most tests write a handful of tables: those are found
        in one round trip (rows present, or their id sequence used since the last restart).
        The seeded reference tables (regions, municipalities, themes, cases, status items and
        values) are copied once into a snapshot schema and compared with it by checksum; a
        changed one is restored from its copy.
        """
        q = conn.exec_driver_sql
        self.seq_of = {}
        for t in self.tables:
            seq = q("SELECT pg_get_serial_sequence(%(t)s, 'id')", {"t": f'"{t}"'}).scalar() \
                if "id" in db.metadata.tables[t].c else None
            self.seq_of[t] = seq
        self.reference = [t for t in self.tables if q(f'SELECT EXISTS (SELECT 1 FROM "{t}")').scalar()]
        self.snapshot = f"{self.schema}_ref"
        q(f"CREATE SCHEMA {self.snapshot}")
        for t in self.reference:
            q(f'CREATE TABLE {self.snapshot}."{t}" AS SELECT * FROM "{t}"')
        self.reference_sums = self._reference_checksums(conn)
        self.can_disable_triggers = self._try_replica_role(conn)

    def _try_replica_role(self, conn):
        """Superusers may switch foreign-key and append-only triggers off for the reset."""
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                conn.exec_driver_sql("SET LOCAL session_replication_role = origin")
            return True
        except sa.exc.DBAPIError:
            return False

    def _reference_checksums(self, conn):
        parts = []
        for t in self.reference:
            part = (f"(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "
                    f'FROM "{t}" x)')
            if self.seq_of[t]:
                part += f" || ':' || (SELECT last_value::text || is_called::text FROM {self.seq_of[t]})"
            parts.append(part)
        return list(conn.exec_driver_sql("SELECT " + ", ".join(parts)).one())

    def _dirty_tables(self, conn):
        checks = []
        for t in self.tables:
            if t in self.reference:
                continue
            cond = f'EXISTS (SELECT 1 FROM "{t}")'
            if self.seq_of[t]:
                cond += f" OR (SELECT is_called FROM {self.seq_of[t]})"
            checks.append(f"SELECT '{t}' WHERE {cond}")
        return {row[0] for row in conn.exec_driver_sql(" UNION ALL ".join(checks))}

    def reset(self, engine):
        """PostgreSQL: empty what the last test wrote, and restore reference data it changed.

        Rows are removed with DELETE while `session_replication_role = replica` keeps the
        foreign-key and append-only triggers quiet, and id sequences restart. TRUNCATE ...
        CASCADE would also empty the reference tables that point at a dirtied table (status
        values name the user who set them) and creates new files for every table and index.
        Without a superuser, the full TRUNCATE and reseed is the fallback.
        """
        if not IS_POSTGRES:
            return
        with engine.begin() as conn:
            if not hasattr(self, "reference"):
                self._prepare_reset(conn)
            if self.can_disable_triggers:
                dirty = self._dirty_tables(conn)
                sums = self._reference_checksums(conn)
                changed = [t for t, now, then in zip(self.reference, sums, self.reference_sums)
                           if now != then]
                if not dirty and not changed:
                    return
                statements = ["SET LOCAL session_replication_role = replica"]
                statements += [f'DELETE FROM "{t}"' for t in sorted(dirty) + changed]
                statements += [f"ALTER SEQUENCE {self.seq_of[t]} RESTART" for t in sorted(dirty)
                               if self.seq_of[t]]
                for t in changed:
                    statements.append(f'INSERT INTO "{t}" SELECT * FROM {self.snapshot}."{t}"')
                    if self.seq_of[t]:
                        statements.append(
                            f"SELECT setval('{self.seq_of[t]}', coalesce(max(id), 1), max(id) IS NOT NULL)"
                            f' FROM {self.snapshot}."{t}"')
                statements.append("SET LOCAL session_replication_role = origin")
                for statement in statements:
                    conn.exec_driver_sql(statement)
                return
        app = create_app(base_config(self.uri))
        with app.app_context():
            with db.engine.begin() as conn:
                conn.exec_driver_sql(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in self.tables) + " RESTART IDENTITY CASCADE")
            from supportdesk.services.seed import seed_reference

            seed_reference()
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

    def close(self):
        if IS_POSTGRES:
            self.reset_engine.dispose()
            with self.admin_engine.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self.schema}_ref CASCADE")
            self.admin_engine.dispose()


def _fresh_g(sender, **extra):
    vars(g._get_current_object()).clear()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    database = Database(str(tmp_path_factory.mktemp("db")))
    yield database
    database.close()


@pytest.fixture
def make_app(database, tmp_path):
    """Build an app on this test's database, with extra configuration."""
    apps = []
    uri = database.fresh_uri()
    if IS_POSTGRES:
        database.reset(database.reset_engine)

    def factory(**overrides):
        cfg = base_config(uri)
        cfg["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
        cfg.update(overrides)
        app = create_app(cfg)
        # The app fixture keeps one app context pushed, so every test-client request would
        # share flask.g (Flask-Login's cached user, Flask-Babel's locale): a second client would
        # be "logged in" too. Production has a fresh g per request; so do tests.
        request_started.connect(_fresh_g, app)
        app.test_client_class = FreshRequestClient
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client):
    """Log the test client in as a user made by the factories (password factories.PASSWORD)."""
    from tests.factories import PASSWORD

    def _login(user, password=PASSWORD):
        client.post("/logout")
        resp = client.post("/login", data={"email": user.email, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return client

    return _login


@pytest.fixture
def blank_db_uri(tmp_path):
    """A URI of an empty database (no tables) on the database under test, dropped afterwards."""
    if not IS_POSTGRES:
        yield "sqlite:///" + str(tmp_path / "blank.sqlite3")
        return
    from supportdesk.config import normalise_db_url

    schema = f"b_{uuid.uuid4().hex[:12]}"
    admin_engine = sa.create_engine(normalise_db_url(TEST_DATABASE_URL))
    with admin_engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield pg_url(schema)
    finally:
        with admin_engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin_engine.dispose()


@pytest.fixture
def blank_app(blank_db_uri, tmp_path):
    """An app (context pushed) on an empty database: for the CLI, migrations and seeding."""
    app = create_app(dict(base_config(blank_db_uri), UPLOAD_FOLDER=str(tmp_path / "uploads")))
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    db.engine.dispose()
    ctx.pop()


@pytest.fixture
def smtp():
    """An aiosmtpd sink on loopback (tests/notify_helpers.py)."""
    from tests.notify_helpers import SmtpServer

    with SmtpServer() as server:
        yield server


@pytest.fixture
def napp(make_app, smtp):
    """An app (context pushed) whose dispatcher delivers mail to the smtp fixture."""
    from tests.notify_helpers import notify_config

    app = make_app(**notify_config(smtp.port))
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture(scope="session")
def oidc_provider():
    """A real OpenID provider (npm oidc-provider on Node.js) on a free loopback port, started
    once per test session (tests/oidc_helpers.py)."""
    from tests.oidc_helpers import OidcProvider

    provider = OidcProvider().start()
    yield provider
    provider.stop()


# The prefecture packs whose demo the demo tests run on: Hyogo's (the default, as ever) and
# the second pack's, cast from it by its [demo] section (supportdesk/demo/cast.py).
DEMO_PACKS = ("hyogo", "nagano")


@pytest.fixture(scope="module")
def pack_demo_config(database, tmp_path_factory):
    """pack key -> the configuration (database URI, upload folder) of a desk set up from that
    pack with the whole demo seeded through the CLI (`flask seed --prefecture <pack> --demo`),
    once per test module: the demo seed is the slow part (tens of seconds), so a module's tests
    share it (and see each other's writes). Build apps on it with make_app(**config)."""
    made, schemas = {}, []

    def config_of(pack):
        if pack in made:
            return made[pack]
        if IS_POSTGRES:
            schema = f"d_{uuid.uuid4().hex[:12]}"
            with database.admin_engine.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            schemas.append(schema)
            uri = pg_url(schema)
        else:
            uri = "sqlite:///" + str(tmp_path_factory.mktemp(f"demo-{pack}") / "demo.sqlite3")
        config = {"SQLALCHEMY_DATABASE_URI": uri,
                  "UPLOAD_FOLDER": str(tmp_path_factory.mktemp(f"uploads-{pack}"))}
        app = create_app(dict(base_config(uri), **config))
        with app.app_context():
            db.create_all()
            result = app.test_cli_runner().invoke(args=["seed", "--prefecture", pack, "--demo"])
            assert result.exit_code == 0, result.output
            db.session.remove()
            db.engine.dispose()
        made[pack] = config
        return config

    yield config_of
    if IS_POSTGRES:
        with database.admin_engine.begin() as conn:
            for schema in schemas:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
