"""/api/v1/engagements: accompaniment engagements and their check-ins for the people who may see
them (the same rule as the list page), logging a contact, cursor pagination, problem+json."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from supportdesk.calendar_jp import next_business_day
from supportdesk.extensions import db
from supportdesk.models import Engagement, EngagementContact
from supportdesk.services.visits.engagements import close_engagement, create_engagement
from supportdesk.services.visits.lifecycle import confirm_visit, create_visit
from supportdesk.timeutil import JST, utcnow
from tests.factories import make_expert, make_liaison, make_staff, make_user, municipality
from tests.test_api import assert_problem, bearer


@pytest.fixture
def world(app):
    liaison, expert, other_expert = make_liaison(), make_expert(), make_expert()
    sayo = create_engagement(liaison, municipality=municipality("佐用町"), title="佐用の伴走",
                             cadence_days=14, experts=[expert])
    toyooka = create_engagement(liaison, municipality=municipality("豊岡市"), title="豊岡の伴走")
    soon = utcnow() + timedelta(days=3)
    visit = create_visit(liaison, kind="accompaniment", title="進捗確認", starts_at=soon,
                         ends_at=soon + timedelta(hours=1), municipalities=[municipality("佐用町")],
                         attendees=[expert], engagement=sayo)
    confirm_visit(visit, liaison)
    db.session.commit()
    return dict(liaison=liaison, expert=expert, other_expert=other_expert,
                staff=make_staff("佐用町"), other_staff=make_staff("豊岡市"),
                manager=make_user("manager"), admin=make_user("admin"),
                sayo=sayo.id, toyooka=toyooka.id, visit=visit.id)


SEES = {"liaison": {"sayo", "toyooka"}, "expert": {"sayo"}, "other_expert": set(),
        "staff": {"sayo"}, "other_staff": {"toyooka"}, "manager": {"sayo", "toyooka"},
        "admin": {"sayo", "toyooka"}}


def test_list_and_read_per_role(client, world):
    for role, names in SEES.items():
        headers = bearer(world[role])
        page = client.get("/api/v1/engagements", headers=headers).get_json()
        assert {e["id"] for e in page["items"]} == {world[n] for n in names}, role
        for name in ("sayo", "toyooka"):
            resp = client.get(f"/api/v1/engagements/{world[name]}", headers=headers)
            if name in names:
                assert resp.status_code == 200, (role, name)
            else:
                assert_problem(resp, 404)
    one = client.get(f"/api/v1/engagements/{world['sayo']}",
                     headers=bearer(world["staff"])).get_json()
    assert one["municipality_code"] == "28501" and one["state"] == "active"
    assert [e["id"] for e in one["experts"]] == [world["expert"].id]
    assert [(c["kind"], c["visit_id"], c["held"]) for c in one["checkins"]] == [
        ("visit", world["visit"], False)]
    # Two weeks on, moved to the next business day (it failed on days whose +14 is a weekend).
    assert one["next_checkin_due"] == next_business_day(
        utcnow().astimezone(JST).date() + timedelta(days=14)).isoformat()


def test_state_filter_and_cursor(client, world):
    close_engagement(db.session.get(Engagement, world["toyooka"]), world["liaison"],
                     achievement="achieved", put_in_place="電子申請", outcome="完了")
    db.session.commit()
    headers = bearer(world["manager"])
    closed = client.get("/api/v1/engagements?state=closed", headers=headers).get_json()["items"]
    assert [e["id"] for e in closed] == [world["toyooka"]]
    first = client.get("/api/v1/engagements?limit=1", headers=headers).get_json()
    assert [e["id"] for e in first["items"]] == [world["toyooka"]] and first["next_cursor"]
    second = client.get(f"/api/v1/engagements?limit=1&cursor={first['next_cursor']}",
                        headers=headers).get_json()
    assert [e["id"] for e in second["items"]] == [world["sayo"]] and second["next_cursor"] is None
    assert_problem(client.get("/api/v1/engagements?state=paused", headers=headers), 422)
    one = client.get(f"/api/v1/engagements/{world['toyooka']}", headers=headers).get_json()
    assert (one["achievement"], one["put_in_place"], one["next_steps"], one["outcome"]) == (
        "achieved", "電子申請", None, "完了")  # the structured outcome, as the page shows it


def test_log_contact_by_the_engagements_people_only(client, world):
    url = f"/api/v1/engagements/{world['sayo']}/contacts"
    at = (datetime.now(JST) - timedelta(hours=1)).replace(microsecond=0)
    body = {"at": at.isoformat(), "summary": "電話で進捗を確認"}
    resp = client.post(url, json=body, headers=bearer(world["expert"], "write"))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    contacts = [c for c in resp.get_json()["checkins"] if c["kind"] == "contact"]
    assert [(c["summary"], c["by"]) for c in contacts] == [
        ("電話で進捗を確認", world["expert"].display_name)]
    # Staff of the municipality see the engagement but do not log; others do not see it.
    assert_problem(client.post(url, json=body, headers=bearer(world["staff"], "write")), 403)
    assert_problem(client.post(url, json=body, headers=bearer(world["manager"], "write")), 403)
    assert_problem(client.post(url, json=body, headers=bearer(world["other_expert"], "write")), 404)
    assert_problem(client.post(url, json=body, headers=bearer(world["other_staff"], "write")), 404)
    assert_problem(client.post(url, json=body, headers=bearer(world["expert"], "read")), 403)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(EngagementContact))
    assert count == 1


def test_bad_contact_names_the_field_and_logs_nothing(client, world):
    url = f"/api/v1/engagements/{world['sayo']}/contacts"
    headers = bearer(world["liaison"], "write")
    future = (datetime.now(JST) + timedelta(days=1)).isoformat()
    for body, field in (({"at": future, "summary": "x"}, "at"),
                        ({"at": "2025-01-01T10:00:00", "summary": "x"}, "at"),
                        ({"at": "0001-01-01T00:00:00+23:59", "summary": "x"}, "at"),
                        ({"at": "2025-01-01T10:00:00+09:00", "summary": ""}, "summary"),
                        ({"summary": "x"}, "at")):
        problem = assert_problem(client.post(url, json=body, headers=headers), 422)
        assert [e["field"] for e in problem["errors"]] == [field], body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EngagementContact)) == 0
