"""Flask-Migrate, loaded when first used: `flask db ...`, the migration tests, backups.

Importing flask_migrate imports alembic, mako and pygments (~11 MiB) into every gunicorn worker,
which never migrates. So create_app registers a stand-in: `app.extensions["migrate"]` becomes
the real Flask-Migrate configuration on first attribute access, and the `db` command group
loads flask_migrate.cli when the command line asks for it.
"""
import click


class LazyMigrateConfig:
    """Stands in for app.extensions["migrate"] until an attribute is read."""

    def __init__(self, app, db, **options):
        self._app, self._db, self._options, self._real = app, db, options, None

    def _load(self):
        if self._real is None:
            from flask_migrate import Migrate

            Migrate().init_app(self._app, self._db, **self._options)  # sets extensions["migrate"]
            self._real = self._app.extensions["migrate"]
        return self._real

    def __getattr__(self, name):
        return getattr(self._load(), name)


class LazyDbGroup(click.Group):
    """`flask db ...`: Flask-Migrate's command group, imported when the CLI runs it."""

    def __init__(self, config):
        super().__init__("db", help="Perform database migrations (Flask-Migrate).")
        self._config = config

    def _group(self):
        self._config._load()
        from flask_migrate.cli import db as group

        return group

    def make_context(self, info_name, args, parent=None, **extra):
        # The real group parses the arguments and runs, with its own options (-d, -x).
        return self._group().make_context(info_name, args, parent=parent, **extra)


def init_app(app, db, **options):
    config = LazyMigrateConfig(app, db, **options)
    app.extensions["migrate"] = config
    app.cli.add_command(LazyDbGroup(config))
