"""Every table comes from a migration: upgrade from empty, compare with the models, downgrade."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from supportdesk.extensions import db


def schema_diff(app):
    opts = dict(app.extensions["migrate"].configure_args)  # compare_type, render_as_batch
    opts["target_metadata"] = db.metadata
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(context, db.metadata)


def table_names():
    # Name the schema: on PostgreSQL schema=None also lists visible tables of public.
    return set(sa.inspect(db.engine).get_table_names(schema=db.engine.dialect.default_schema_name))


def test_upgrade_from_empty_matches_models_and_downgrades(blank_app):
    assert table_names() == set()
    upgrade()
    assert set(db.metadata.tables) <= table_names()
    diff = schema_diff(blank_app)
    assert diff == [], "models and migrations disagree; generate a migration:\n" + "\n".join(
        map(repr, diff))
    # Negative control: the comparison does see this database (a stray table shows up).
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stray_table (id INTEGER PRIMARY KEY)")
    assert [d[0] for d in schema_diff(blank_app)] == ["remove_table"]
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE stray_table")
    # The migrated schema is usable: seeding works on it.
    from supportdesk.services.seed import seed_reference

    assert seed_reference() == 41
    db.session.commit()
    db.session.remove()
    downgrade(revision="base")
    assert table_names() <= {"alembic_version"}


def test_configured_compare_options(blank_app):
    args = blank_app.extensions["migrate"].configure_args
    assert args["compare_type"] is True and args["render_as_batch"] is True


def test_cli_db_upgrade_then_seed_from_empty(blank_app):
    """What the README's demo command runs: `flask db upgrade`, then `flask seed --demo`."""
    runner = blank_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert set(db.metadata.tables) <= table_names()
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    from supportdesk.models import Municipality, User

    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Municipality.id))) == 41
    assert db.session.scalar(sa.select(sa.func.count(User.id))) > 0
