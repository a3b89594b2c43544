"""Every table comes from a migration: upgrade from empty, compare with the models, downgrade."""
import pytest
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
    # The migrated CHECK admits villages and special wards (0036), and still refuses the rest.
    insert = ("INSERT INTO municipalities (code, name, kana, kind, region_id, cio_appointed, "
              "dx_plan_in_place) SELECT :code, :name, 'てすと', :kind, min(id), false, false FROM regions")
    with db.engine.begin() as conn:
        for n, kind in enumerate(("村", "特別区")):
            conn.execute(sa.text(insert), {"code": f"9900{n}", "name": f"試験{kind}", "kind": kind})
        conn.execute(sa.text("DELETE FROM municipalities WHERE code LIKE '9900%'"))
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text(insert), {"code": "99009", "name": "試験郡", "kind": "郡"})
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
    # The demo's histories are chained from their first row: `audit verify` passes on them.
    db.session.remove()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit_logs: OK" in result.output and "request_events: OK" in result.output
    assert "survey_response_versions: OK" in result.output


def test_0017_turns_free_text_departments_into_managed_ones(blank_app):
    """Round records whose departments were typed as free text keep them, now as Department
    rows linked to the records (one row per distinct name; no address until an admin adds it)."""
    from datetime import UTC, datetime, timedelta

    from supportdesk.models import Department, RoundRecord, User, Visit
    from supportdesk.services.seed import seed_reference
    from tests.factories import municipality

    upgrade(revision="0014")
    seed_reference()
    db.session.commit()
    # Core, not the factory: the ORM would write the columns users gained after 0014 (network).
    db.session.execute(sa.insert(User.__table__).values(
        id=9100, email="l@x.jp", display_name="リエゾン", role="liaison", password_hash="x"))
    liaison = type("U", (), {"id": 9100})
    when = datetime(2026, 11, 10, 1, tzinfo=UTC)
    for name, typed in (("佐用町", ["デジタル改革課", " 市町振興課 ", "デジタル改革課"]),
                        ("赤穂市", ["市町振興課"]), ("相生市", None)):
        visit = Visit(kind="round", state="held", title="定期巡回", starts_at=when,
                      ends_at=when + timedelta(hours=1), created_by_id=liaison.id)
        db.session.add(visit)
        db.session.flush()
        db.session.execute(sa.insert(RoundRecord.__table__).values(
            visit_id=visit.id, municipality_id=municipality(name).id, progress="p", issues="i",
            shared_departments=typed, recorded_by_id=liaison.id, recorded_at=when))
    db.session.commit()
    db.session.remove()

    upgrade(revision="0017")
    depts = {d.name: d for d in db.session.scalars(sa.select(Department))}
    assert set(depts) == {"デジタル改革課", "市町振興課"}
    assert all(d.contact_email is None and d.active and len(d.link_nonce) == 32
               for d in depts.values())
    linked = {r.municipality.name: [d.name for d in r.departments]
              for r in db.session.scalars(sa.select(RoundRecord))}
    assert linked == {"佐用町": ["デジタル改革課", "市町振興課"], "赤穂市": ["市町振興課"],
                      "相生市": []}
    sayo = next(r for r in db.session.scalars(sa.select(RoundRecord))
                if r.municipality.name == "佐用町")
    assert sayo.shared_department_names == ["デジタル改革課", "市町振興課"]
    db.session.remove()
    from tests.test_chain import check_0021_chains_the_rows_already_there

    check_0021_chains_the_rows_already_there()  # 0021 on existing history rows, then back
    downgrade(revision="0014")   # with the data in place: the free text is still there
    assert not {"departments", "planned_rounds", "round_record_departments"} & table_names()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoundRecord.__table__)) == 3


def test_0032_keeps_the_satisfaction_answers_already_given(blank_app):
    """Lecture surveys move onto the survey engine without moving a row: the ratings given
    before (by filers and by participants) stay what the reports read, with no added answers."""
    from datetime import UTC, datetime, timedelta

    from supportdesk.models import SatisfactionResponse, Visit
    from supportdesk.services.seed import seed_reference
    from tests.factories import legacy_user

    upgrade(revision="0023")
    seed_reference()
    db.session.commit()
    liaison = legacy_user("liaison", regions=("西播磨",))
    when = datetime(2026, 11, 10, 1, tzinfo=UTC)
    visit = Visit(kind="lecture", state="held", title="講座", starts_at=when,
                  ends_at=when + timedelta(hours=1), created_by_id=liaison.id)
    db.session.add(visit)
    db.session.flush()
    for rating in (5, 3):
        db.session.execute(sa.insert(SatisfactionResponse.__table__).values(
            visit_id=visit.id, source="participant", rating=rating, comment="", created_at=when))
    db.session.commit()
    db.session.remove()

    upgrade(revision="0032")
    rows = db.session.scalars(sa.select(SatisfactionResponse).order_by(SatisfactionResponse.id))
    assert [(r.rating, r.source, r.answers) for r in rows] == [(5, "participant", None),
                                                               (3, "participant", None)]
    db.session.remove()


def test_0037_gives_an_existing_desk_its_catalogue_and_frees_the_expert_kinds(blank_app):
    """A desk set up before the catalogue was data gets its pack's entries from the migration;
    expert profiles keep their kind (and their themes), and a kind the admin adds is taken."""
    from supportdesk.services.seed import seed_reference
    from tests.factories import legacy_user

    upgrade(revision="0036")
    seed_reference()
    db.session.commit()
    expert = legacy_user("expert")
    theme_id = db.session.scalar(sa.text("SELECT min(id) FROM themes"))
    db.session.commit()
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO expert_profiles (user_id, kind, available) "
                             "VALUES (:u, '戦略監', true)"), {"u": expert.id})
        conn.execute(sa.text("INSERT INTO expert_themes (expert_id, theme_id) "
                             "SELECT id, :t FROM expert_profiles"), {"t": theme_id})
    db.session.remove()

    upgrade(revision="0037")
    with db.engine.begin() as conn:
        rows = conn.execute(sa.text("SELECT list, key, name_ja FROM catalogue_entries "
                                    "ORDER BY list, sort_order")).all()
        assert [(k, n) for lst, k, n in rows if lst == "lecture_menu"] == [
            ("top_management", "トップマネジメント"), ("kaizen", "カイゼンDX"), ("data", "データ利活用"),
            ("other", "その他")]
        assert len(rows) == 15
        assert conn.execute(sa.text("SELECT kind FROM expert_profiles")).scalar() == "戦略監"
        assert conn.execute(sa.text("SELECT count(*) FROM expert_themes")).scalar() == 1
        conn.execute(sa.text("UPDATE expert_profiles SET kind = '地域おこし協力隊'"))
    # Seeding again adds nothing: the migration already gave the desk its pack's entries.
    seed_reference()
    db.session.commit()
    assert db.session.scalar(sa.text("SELECT count(*) FROM catalogue_entries")) == 15
    db.session.remove()

    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE expert_profiles SET kind = '戦略監'"))
    downgrade(revision="0036")
    assert "catalogue_entries" not in table_names()
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE expert_profiles SET kind = '地域おこし協力隊'"))
    db.session.remove()
