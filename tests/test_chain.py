"""The append-only histories (audit log, request events, survey answers): triggers on both
databases, the hash chain, verify, redaction."""
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import (AuditLog, ChainHead, OutboxMessage, RequestEvent,
                               SurveyResponseVersion)
from supportdesk.models.chain import (CHAINS, GENESIS, content_digest, create_triggers,
                                      drop_statements, row_hash)
from supportdesk.services.audit import record_audit
from supportdesk.services.chain import (current_heads, redact_request_events,
                                        redact_survey_answers, verify_chains,
                                        verify_chains_nightly)
from supportdesk.services.requests.transitions import record_event
from tests.conftest import IS_POSTGRES
from tests.factories import make_liaison, make_request, make_staff, make_survey, make_user

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


def plain_sql(statement, **params):
    """Run SQL on a connection of its own, outside the ORM, as someone at a database prompt."""
    db.session.commit()  # on SQLite the test's own transaction holds the write lock
    with db.engine.begin() as conn:
        return conn.execute(sa.text(statement), params)


DROPPED = []   # set by drop_triggers: the test's teardown puts the triggers back


def drop_triggers():
    db.session.commit()
    DROPPED.append(True)
    with db.engine.begin() as conn:
        for spec in CHAINS.values():
            for statement in drop_statements(conn.dialect.name, spec):
                conn.exec_driver_sql(statement)


@pytest.fixture(autouse=True)
def _triggers_back(app):
    """On PostgreSQL the tests share one schema: a test that dropped the triggers must not
    leave the next one without them."""
    yield
    if DROPPED:
        DROPPED.clear()
        db.session.rollback()
        with db.engine.begin() as conn:
            for spec in CHAINS.values():
                for statement in drop_statements(conn.dialect.name, spec):
                    conn.exec_driver_sql(statement)
            create_triggers(conn)


def rewrite_chain(name):
    """What an attacker with DBA rights does after editing a row: recompute every hash after it."""
    spec, table = CHAINS[name], db.metadata.tables[name]
    prev = GENESIS
    db.session.commit()
    with db.engine.begin() as conn:
        for row in conn.execute(sa.select(table).order_by(table.c.id)).mappings().all():
            digest = content_digest(spec, row)
            new = row_hash(spec, row, prev, digest)
            values = dict(prev_hash=prev, row_hash=new)
            if spec.redactable:
                values["content_digest"] = digest
            conn.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))
            prev = new
        conn.execute(sa.update(ChainHead.__table__).where(ChainHead.name == name)
                     .values(last_hash=prev))


@pytest.fixture
def history(app):
    """A request with its events, a few audit rows, and a survey answer submitted then
    corrected (two versions), committed."""
    from supportdesk.services.surveys.answering import submit_response

    liaison = make_liaison("西播磨")
    sreq = make_request(state="triage", liaison=liaison)
    record_event(sreq, liaison, "note", note="内部メモ: 担当課に確認", data={"k": [1, "二"]},
                 internal=True, now=NOW)
    for k in range(3):
        record_audit("test.event", actor=liaison, n=k, now=NOW)
    survey = make_survey(liaison, municipality_names=("佐用町",), now=NOW)
    info = make_staff("佐用町", info_dept=True)
    n_q, c_q = survey.questions
    for when, count in ((NOW, "3"), (LATER, "4")):   # a correction keeps the earlier version
        submit_response(survey, info, values={n_q.field_name: count, c_q.field_name: "はい"},
                        now=when)
    db.session.commit()
    return sreq, liaison


def broken(reports):
    return {r.table: r.breaks[0] for r in reports if r.breaks}


def test_registry_names_every_column_of_its_tables(app):
    """The SQLite triggers list the columns a redaction must keep: a new column needs its entry."""
    for name, spec in CHAINS.items():
        assert set(spec.columns) == {c.name for c in db.metadata.tables[name].columns}, name


def test_rows_chain_in_id_order_and_verify_passes(history):
    reports = verify_chains()
    assert all(r.ok for r in reports), [b.describe() for r in reports for b in r.breaks]
    rows = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
    assert rows[0].prev_hash == GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.row_hash for r in rows[:-1]]
    heads = {h.name: h for h in db.session.scalars(sa.select(ChainHead))}
    for report in reports:
        assert report.length == db.session.scalar(
            sa.select(sa.func.count()).select_from(db.metadata.tables[report.table])) > 0
        assert (heads[report.table].length, heads[report.table].last_hash) == (
            report.length, report.last_hash)
    assert current_heads() == {r.table: r.head() for r in reports}


@pytest.mark.parametrize("statement", [
    "UPDATE audit_logs SET action = 'tampered'",
    "DELETE FROM audit_logs",
    "UPDATE request_events SET note = 'tampered'",
    "UPDATE request_events SET kind = 'state', data = NULL, note = NULL, redacted_at = :now",
    "DELETE FROM request_events",
    "UPDATE survey_response_versions SET answers = '{}'",
    "UPDATE survey_response_versions SET late = true, answers = NULL, redacted_at = :now",
    "DELETE FROM survey_response_versions",
])
def test_the_database_refuses_changes_by_plain_sql(history, statement):
    before = current_heads()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        plain_sql(statement, now=NOW)
    assert current_heads() == before
    assert all(r.ok for r in verify_chains())


def test_redaction_blanks_the_text_and_the_chain_still_verifies(history):
    sreq, liaison = history
    admin = make_user("admin")
    ids = db.session.scalars(sa.select(RequestEvent.id).where(
        RequestEvent.request_id == sreq.id)).all()
    assert redact_request_events([sreq.id], actor=admin, now=NOW) == len(ids) > 1
    db.session.commit()
    events = db.session.scalars(sa.select(RequestEvent).where(
        RequestEvent.request_id == sreq.id)).all()
    assert all(e.data is None and e.note is None and e.redacted_at == NOW for e in events)
    assert {e.kind for e in events} >= {"note", "state"}  # the skeleton stays
    [report] = [r for r in verify_chains() if r.table == "request_events"]
    assert report.ok and report.redacted == len(ids)
    [audit] = db.session.scalars(sa.select(AuditLog).where(
        AuditLog.action == "request_events.redacted")).all()
    assert audit.actor_id == admin.id
    assert audit.detail == {"request_ids": [sreq.id], "rows": len(ids)}
    assert redact_request_events([sreq.id], actor=admin, now=NOW) == 0   # once only
    # A redaction is for good: the text cannot be put back, nor the date moved.
    for statement in ("UPDATE request_events SET note = 'back'",
                      "UPDATE request_events SET redacted_at = :now"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            plain_sql(statement, now=datetime(2027, 1, 1, tzinfo=UTC))


def test_audit_verify_finds_a_row_edited_with_the_triggers_dropped(history, runner):
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit_logs: OK" in result.output and "request_events: OK" in result.output
    assert "survey_response_versions: OK, 2 rows" in result.output
    drop_triggers()
    victim = db.session.scalars(sa.select(AuditLog.id).order_by(AuditLog.id)).all()[1]
    plain_sql("UPDATE audit_logs SET action = 'nothing.happened' WHERE id = :id", id=victim)
    note_id = db.session.scalar(sa.select(RequestEvent.id).where(RequestEvent.kind == "note"))
    plain_sql("UPDATE request_events SET note = '問題なし' WHERE id = :id", id=note_id)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"audit_logs: BROKEN at audit_logs id={victim} at=" in result.output
    assert "row_hash does not match" in result.output
    assert f"request_events id={note_id} at={NOW.isoformat()}: content differs" in result.output


def test_audit_verify_finds_an_earlier_survey_answer_rewritten(history, runner):
    """Someone with DBA rights makes the first answer say what the correction said: verify names
    the version row, its table and when it was submitted."""
    first, second = db.session.scalars(sa.select(SurveyResponseVersion).order_by(
        SurveyResponseVersion.id)).all()
    assert (first.version, second.version) == (1, 2) and first.answers != second.answers
    first_id, corrected = first.id, second.answers
    drop_triggers()
    table = SurveyResponseVersion.__table__
    with db.engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.id == first_id).values(answers=corrected))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert (f"survey_response_versions: BROKEN at survey_response_versions id={first_id} "
            f"at={NOW.isoformat()}: content differs") in result.output
    assert "audit_logs: OK" in result.output


def test_survey_corrections_append_versions_in_the_chain_and_redaction_keeps_it(history):
    versions = db.session.scalars(sa.select(SurveyResponseVersion).order_by(
        SurveyResponseVersion.id)).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].prev_hash == GENESIS and versions[1].prev_hash == versions[0].row_hash
    assert [v.submitted_at for v in versions] == [NOW, LATER]
    admin = make_user("admin")
    assert redact_survey_answers([versions[0].response_id], actor=admin, now=LATER) == 2
    db.session.commit()
    assert all(v.answers is None and v.redacted_at == LATER for v in
               db.session.scalars(sa.select(SurveyResponseVersion)))
    [report] = verify_chains(tables=["survey_response_versions"])
    assert report.ok and report.redacted == 2
    assert db.session.scalar(sa.select(AuditLog.detail).where(
        AuditLog.action == "survey_response_versions.redacted")) == {
        "response_ids": [versions[0].response_id], "rows": 2}
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        plain_sql("UPDATE survey_response_versions SET answers = '{}'")


def test_a_removed_row_and_a_cut_tail_are_found(history):
    drop_triggers()
    ids = db.session.scalars(sa.select(AuditLog.id).order_by(AuditLog.id)).all()
    plain_sql("DELETE FROM audit_logs WHERE id = :id", id=ids[1])
    assert broken(verify_chains())["audit_logs"].row_id == ids[2]
    plain_sql("DELETE FROM audit_logs WHERE id >= :id", id=ids[1])   # now only the tail is gone
    brk = broken(verify_chains())["audit_logs"]
    assert brk.row_id == ids[0] and "rows at the end removed" in brk.reason


def test_a_rewritten_chain_shows_against_an_older_backup_manifest(history, runner, tmp_path):
    from supportdesk.services.backup import backup_all

    manifest = backup_all(str(tmp_path / "backups"), now=NOW)
    assert manifest["database"]["chain_heads"] == current_heads()
    drop_triggers()
    first = db.session.scalar(sa.select(sa.func.min(AuditLog.id)))
    plain_sql("UPDATE audit_logs SET detail = NULL WHERE id = :id", id=first)
    rewrite_chain("audit_logs")
    assert all(r.ok for r in verify_chains())   # consistent in itself ...
    result = runner.invoke(args=["audit", "verify", "--manifest",
                                 str(tmp_path / "backups" / manifest["path"] / "manifest.json")])
    assert result.exit_code == 1                # ... but not the history the backup saw
    head_id = manifest["database"]["chain_heads"]["audit_logs"]["last_id"]
    assert f"audit_logs id={head_id}" in result.output and "chain rewritten" in result.output
    assert "request_events: OK" in result.output


def test_nightly_job_logs_the_heads_and_alerts_the_admins_once(history, caplog):
    admins = [make_user("admin"), make_user("admin")]
    make_user("manager")
    from supportdesk import scheduler
    from supportdesk.models import JobRun

    job = next(j for j in scheduler.JOBS if j.name == "audit.verify_chains")
    with caplog.at_level("INFO", logger="supportdesk.services.chain"):
        scheduler.run_job(job, now=NOW)
    assert "chain head audit_logs length=" in caplog.text
    run = db.session.scalar(sa.select(JobRun).where(JobRun.job_name == job.name))
    heads = current_heads()
    assert (run.outcome, run.items) == ("ok", 0)
    assert run.detail["request_events"].endswith(heads["request_events"]["row_hash"])
    assert not db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
        OutboxMessage.event_type == "audit.chain_broken"))
    db.session.commit()
    drop_triggers()
    plain_sql("UPDATE request_events SET to_state = 'closed' WHERE to_state = 'triage'")
    result = verify_chains_nightly(now=NOW)
    db.session.commit()
    assert result["items"] == 1
    mails = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "audit.chain_broken")).all()
    assert sorted(m.user_id for m in mails) == [a.id for a in admins]
    assert all("request_events" in m.body and m.urgent for m in mails)
    verify_chains_nightly(now=NOW)   # the same night again: no second alert
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
        OutboxMessage.event_type == "audit.chain_broken")) == len(admins)


def test_concurrent_writers_keep_one_chain(history, app):
    """Several threads append audit rows, request events and survey answer versions at once,
    on either database: one chain each, no fork, no deadlock."""
    sreq_id, actor_id = history[0].id, history[1].id
    response_id = db.session.scalar(sa.select(SurveyResponseVersion.response_id))
    db.session.remove()
    threads, rounds, errors = 6, 4, []
    barrier = threading.Barrier(threads)

    def writer(i):
        try:
            barrier.wait(timeout=30)
            for k in range(rounds):
                with app.app_context():
                    from supportdesk.models import SupportRequest, User

                    actor = db.session.get(User, actor_id)
                    sreq = db.session.get(SupportRequest, sreq_id)
                    version = SurveyResponseVersion(
                        response_id=response_id, version=100 + i * rounds + k,
                        answers={"thread": i}, submitted_by_id=actor_id, submitted_at=NOW)
                    writes = [lambda: record_audit("test.concurrent", actor=actor, thread=i),
                              lambda: record_event(sreq, actor, "note", note=f"{i}-{k}"),
                              lambda: db.session.add(version)]
                    # Half the writers append to the chains in the other order, in two
                    # flushes: the head locks are taken in one order all the same.
                    for write in writes if i % 2 else reversed(writes):
                        write()
                        db.session.flush()
                    db.session.commit()
        except BaseException as exc:  # reported below
            errors.append((i, repr(exc)))

    workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert errors == []
    reports = verify_chains()
    assert all(r.ok for r in reports), [b.describe() for r in reports for b in r.breaks]
    for model in (AuditLog, RequestEvent, SurveyResponseVersion):
        prevs = db.session.scalars(sa.select(model.prev_hash)).all()
        assert len(prevs) == len(set(prevs))   # no two rows chain onto the same row: no fork
    assert db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(
        AuditLog.action == "test.concurrent")) == threads * rounds


def test_triggers_come_back_with_create_triggers(history):
    drop_triggers()
    plain_sql("UPDATE audit_logs SET ip = '10.0.0.1'")
    db.session.commit()
    with db.engine.begin() as conn:
        create_triggers(conn)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        plain_sql("UPDATE audit_logs SET ip = '10.0.0.2'")
    first = db.session.scalar(sa.select(sa.func.min(AuditLog.id)))
    assert broken(verify_chains())["audit_logs"].row_id == first   # the edit while they were off


APP_ROLE_GRANTS = """
GRANT USAGE ON SCHEMA {schema} TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
REVOKE UPDATE, DELETE, TRUNCATE ON audit_logs, request_events, survey_response_versions
    FROM {role};
GRANT UPDATE (data, note, redacted_at) ON request_events TO {role};
GRANT UPDATE (answers, redacted_at) ON survey_response_versions TO {role};
"""


@pytest.mark.skipif(not IS_POSTGRES, reason="database roles are PostgreSQL's")
def test_the_application_role_inserts_but_cannot_change_the_histories(history, database):
    """The README's grants: the app's role appends and redacts, and is refused the rest by the
    privileges themselves (before any trigger)."""
    import uuid

    from supportdesk.models.chain import seal_rows

    role = f"sd_app_{uuid.uuid4().hex[:10]}"
    db.session.commit()
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        for statement in APP_ROLE_GRANTS.format(schema=database.schema, role=role).split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
    engine = sa.create_engine(sa.engine.make_url(database.uri).set(username=role))
    try:
        with engine.begin() as conn:
            assert conn.exec_driver_sql("SELECT current_user").scalar() == role
            row = {"at": NOW, "actor_id": None, "action": "role.insert", "target_type": None,
                   "target_id": None, "ip": None, "detail": {"by": "app role"}}
            conn.execute(sa.insert(AuditLog.__table__), seal_rows(conn, "audit_logs", [row]))
        for statement in ("UPDATE audit_logs SET action = 'x'", "DELETE FROM audit_logs",
                          "TRUNCATE audit_logs", "UPDATE request_events SET kind = 'x'",
                          "DELETE FROM request_events", "DELETE FROM survey_response_versions",
                          "UPDATE survey_response_versions SET late = true",
                          "TRUNCATE survey_response_versions CASCADE"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                with engine.begin() as conn:
                    conn.exec_driver_sql(statement)
        with engine.begin() as conn:   # the redaction is allowed, to the role and the trigger
            conn.execute(sa.text("UPDATE request_events SET data = NULL, note = NULL, "
                                 "redacted_at = :now WHERE kind = 'note'"), {"now": NOW})
            conn.execute(sa.text("UPDATE survey_response_versions SET answers = NULL, "
                                 "redacted_at = :now WHERE version = 1"), {"now": NOW})
    finally:
        engine.dispose()
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
    reports = verify_chains()
    assert all(r.ok for r in reports), [b.describe() for r in reports for b in r.breaks]
    assert {r.table: r.redacted for r in reports if r.redacted} == {
        "request_events": 1, "survey_response_versions": 1}
    last = db.session.scalar(sa.select(AuditLog.action).order_by(AuditLog.id.desc()))
    assert last == "role.insert"



def check_0021_chains_the_rows_already_there():
    """Called by tests/test_migrations.py on a database at 0017 (saves a second upgrade from
    empty): rows written before 0021 are chained in id order by the upgrade, and the triggers
    come with it and go with the downgrade (back at 0017, its rows removed)."""
    from flask_migrate import downgrade, upgrade

    from supportdesk.models import User
    from tests.test_migration_0015 import _event, _request, jst

    old_audit = sa.table("audit_logs", sa.column("at", sa.DateTime), sa.column("action", sa.String),
                         sa.column("detail", sa.JSON), sa.column("actor_id", sa.Integer))
    db.session.execute(sa.insert(User.__table__).values(  # users have not changed since 0017
        id=9001, email="s@x.jp", display_name="職員", role="admin", password_hash="x"))
    staff = type("U", (), {"id": 9001})
    _request(9001, staff)
    for hour in (9, 10, 11):
        _event(9001, staff, "note", jst(2026, 11, 30, hour), data={"n": hour})
    db.session.execute(sa.insert(old_audit), [
        {"at": datetime(2026, 11, 30, h), "action": "old.row", "detail": {"h": h},
         "actor_id": 9001} for h in (1, 2)])
    db.session.commit()
    db.session.remove()

    upgrade(revision="0021")
    at_0021 = ("audit_logs", "request_events")
    reports = {r.table: r for r in verify_chains(tables=at_0021)}
    assert {t: (r.ok, r.length) for t, r in reports.items()} == {
        "audit_logs": (True, 2), "request_events": (True, 3)}
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        plain_sql("UPDATE request_events SET note = 'x'")
    record_audit("after.upgrade")   # new rows chain onto the backfilled head
    db.session.commit()
    assert all(r.ok for r in verify_chains(tables=at_0021))
    db.session.remove()
    check_0031_chains_the_survey_answers_already_there()
    downgrade(revision="0017")
    for statement in ("DELETE FROM request_events WHERE request_id = 9001",   # no trigger left
                      "DELETE FROM audit_logs", "DELETE FROM support_requests WHERE id = 9001",
                      "DELETE FROM users WHERE id = 9001"):
        plain_sql(statement)


def check_0031_chains_the_survey_answers_already_there():
    """At 0021 (from check_0021 above): survey answer versions written before 0031 are chained
    by its upgrade, with their head, and refused changes after it; the downgrade removes the
    triggers (its versions are then deleted, back before 0031)."""
    from flask_migrate import downgrade, upgrade

    from tests.factories import municipality

    from supportdesk.timeutil import UTCDateTime

    at = datetime(2026, 11, 30, 1, tzinfo=UTC)
    plain_sql("INSERT INTO surveys (id, title, purpose, deadline, reminder_days, status, "
              "target_all, created_by_id, created_at) VALUES (9001, 't', 'p', '2026-12-18', 3, "
              "'open', false, 9001, :at)", at=at)
    plain_sql("INSERT INTO survey_responses (id, survey_id, municipality_id, status, answers, "
              "version) VALUES (9001, 9001, :m, 'submitted', '{}', 2)",
              m=municipality("佐用町").id)
    versions = sa.table("survey_response_versions", sa.column("response_id"),
                        sa.column("version"), sa.column("answers", sa.JSON),
                        sa.column("submitted_by_id"),
                        sa.column("submitted_at", UTCDateTime(timezone=True)),
                        sa.column("late", sa.Boolean))
    db.session.execute(sa.insert(versions), [
        {"response_id": 9001, "version": v, "answers": {"1": v}, "submitted_by_id": 9001,
         "submitted_at": at, "late": False} for v in (1, 2)])
    db.session.commit()
    db.session.remove()
    upgrade(revision="0031")
    [report] = verify_chains(tables=["survey_response_versions"])
    assert (report.ok, report.length) == (True, 2)
    assert db.session.get(ChainHead, "survey_response_versions").length == 2
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        plain_sql("DELETE FROM survey_response_versions")
    db.session.remove()
    downgrade(revision="0021")
    for statement in ("DELETE FROM survey_response_versions", "DELETE FROM survey_responses",
                      "DELETE FROM surveys"):
        plain_sql(statement)


def test_create_all_on_a_complete_database_leaves_the_triggers_alone(history):
    # Nothing to create: the append-only triggers exist and must not be created again (a kept
    # bench database and `db.create_all()` after a deploy both do this).
    db.create_all()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        plain_sql("UPDATE audit_logs SET action = 'tampered'", now=NOW)
