"""The standardisation checklist (Ⅲ-1(4)) goes out and comes back through the surveys: its
questions are mapped to the 20 systems, a submitted answer records each answered system's state
with the survey as its source (keeping what was not asked), a refused system is left out; the
41 x 20 view exports to CSV (BOM) and XLSX."""
import io
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook

from supportdesk.extensions import db
from supportdesk.services.municipalities.standardisation import (current_migrations,
                                                                  migration_history,
                                                                  record_migration)
from supportdesk.services.municipalities.standardisation_checklist import parse_key
from supportdesk.services.surveys.answering import submit_response
from supportdesk.services.surveys.building import open_survey
from supportdesk.timeutil import JST, utcnow
from tests.factories import make_liaison, make_staff, make_user, municipality

NOW = datetime(2027, 6, 7, 1, 0, tzinfo=UTC)


def test_checklist_answers_update_the_standardisation_tracker(app, client, login_as):
    liaison = make_liaison("西播磨", "中播磨")
    sayo, info = municipality("佐用町"), make_staff("佐用町", info_dept=True)
    record_migration(sayo, "juki", actor=liaison, status="preparing", vendor="A社",
                     special_support=True, as_of=date(2027, 4, 1), now=NOW)
    db.session.commit()
    login_as(liaison)
    page = client.get("/status/standardisation/checklist")
    assert page.status_code == 200
    bad = client.post("/status/standardisation/checklist", data={"deadline": ""})
    assert bad.status_code == 200 and "回答期限を日付で入力してください。" in bad.get_data(as_text=True)
    resp = client.post("/status/standardisation/checklist", data={"deadline": "2099-06-30"})
    assert resp.status_code == 302
    survey_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    from supportdesk.models import Survey

    survey = db.session.get(Survey, survey_id)
    assert survey.status == "draft" and survey.target_all
    keys = [parse_key(q.status_item_key) for q in survey.questions]
    assert len(keys) == 100 and all(keys) and ("juki", "status") in keys
    open_survey(survey, liaison, now=NOW)
    passed = utcnow().astimezone(JST).date() - timedelta(days=3)  # the page reads today
    q = {parse_key(x.status_item_key): x for x in survey.questions}
    submit_response(survey, info, values={
        q["juki", "status"].field_name: "移行完了",
        q["juki", "migrated_on"].field_name: "2027-05-20",
        q["juki", "line_contracted"].field_name: "はい",
        q["koseki", "planned_on"].field_name: passed.isoformat(),
        # A completed migration without its date: refused by the tracker, left out.
        q["inkan", "status"].field_name: "移行完了",
    }, now=NOW)
    db.session.commit()
    current = current_migrations([sayo.id])
    juki = current[sayo.id, "juki"]
    assert (juki.status, juki.migrated_on, juki.line_contracted) == ("migrated", date(2027, 5, 20),
                                                                      True)
    assert juki.vendor == "A社" and juki.special_support  # not asked: kept
    assert juki.source_kind == "survey" and juki.source_ref == f"survey:{survey.id}:v1"
    assert len(migration_history(sayo, "juki")) == 2  # the earlier state stays readable
    koseki = current[sayo.id, "koseki"]
    assert koseki.status == "not_started" and koseki.planned_on == passed
    assert (sayo.id, "inkan") not in current
    # Its planned date has passed: 佐用町 is on the overdue list of the standardisation page.
    listed = client.get("/status/standardisation/").get_data(as_text=True)
    assert 'data-testid="overdue-list"' in listed and "佐用町" in listed

    # Exports of the 41 x 20 view.
    csv = client.get("/status/standardisation/export.csv")
    assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf")
    text = csv.data.decode("utf-8-sig")
    assert text.count("\r\n") == 42 and "佐用町" in text and "移行完了" in text
    xlsx = client.get("/status/standardisation/export.xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    assert ws.max_row == 42 and ws.max_column == 5 + 20 * 5
    assert client.get("/status/standardisation/export.pdf").status_code == 404
    login_as(make_staff("佐用町"))
    assert client.get("/status/standardisation/export.csv").status_code in (403, 404)
    assert client.get("/status/standardisation/checklist").status_code in (403, 404)
    login_as(make_user("manager"))
    assert client.get("/status/standardisation/export.xlsx").status_code == 200


def test_demo_checklist_is_open_and_two_answers_reached_the_tracker(app):
    import sqlalchemy as sa

    from supportdesk.demo.checklist import TITLE, seed_demo_checklist
    from supportdesk.demo.status import seed_demo_status
    from supportdesk.demo.users import seed_demo_users
    from supportdesk.models import Survey, SystemMigration

    seed_demo_users()
    seed_demo_status()
    assert seed_demo_checklist() == 1
    db.session.commit()
    assert seed_demo_checklist() == 0
    survey = db.session.scalar(sa.select(Survey).where(Survey.title == TITLE))
    assert survey.status == "open" and len(survey.targets) > 2
    from_survey = db.session.scalars(sa.select(SystemMigration).where(
        SystemMigration.source_kind == "survey")).all()
    assert {r.municipality.name for r in from_survey} == {"豊岡市", "丹波篠山市"}
    assert len(from_survey) == 8
