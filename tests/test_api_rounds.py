"""/api/v1/rounds and /api/v1/round-records: coverage, round status and round records for the
people the round pages show them to (liaisons: their regions), read only, problem+json."""
from datetime import time

import pytest

from supportdesk.extensions import db
from supportdesk.services.visits import rounds as svc
from supportdesk.timeutil import JST, utcnow
from tests.factories import (make_department, make_expert, make_liaison, make_staff, make_user,
                             municipality, region)
from tests.test_api import assert_problem, bearer


def record(liaison, name, issues="課題"):
    # Today just after midnight (Tokyo): inside the current cycle whatever the date, never future.
    day = utcnow().astimezone(JST).date()
    rec = svc.record_round(liaison, municipality(name), held_on=day, start_time=time(0, 0),
                           end_time=time(0, 30), progress="取組", issues=issues,
                           departments=[make_department("情報政策課", "joho@pref.example.jp")])
    db.session.commit()
    return rec


@pytest.fixture
def world(app):
    nishi, tajima = make_liaison("西播磨"), make_liaison("但馬")
    sayo, toyooka = record(nishi, "佐用町"), record(tajima, "豊岡市")
    return dict(nishi=nishi, tajima=tajima, manager=make_user("manager"), admin=make_user("admin"),
                staff=make_staff("佐用町"), expert=make_expert(), sayo=sayo.id, toyooka=toyooka.id)


SEES = {"nishi": {"sayo"}, "tajima": {"toyooka"}, "manager": {"sayo", "toyooka"},
        "admin": {"sayo", "toyooka"}}


def test_round_records_per_role(client, world):
    for role, names in SEES.items():
        headers = bearer(world[role])
        items = client.get("/api/v1/round-records", headers=headers).get_json()["items"]
        assert {r["id"] for r in items} == {world[n] for n in names}, role
        for name in ("sayo", "toyooka"):
            resp = client.get(f"/api/v1/round-records/{world[name]}", headers=headers)
            if name in names:
                assert resp.status_code == 200
            else:
                assert_problem(resp, 404)
    for role in ("staff", "expert"):
        assert_problem(client.get("/api/v1/round-records", headers=bearer(world[role])), 403)
        assert_problem(client.get(f"/api/v1/round-records/{world['sayo']}",
                                  headers=bearer(world[role])), 404)
    one = client.get(f"/api/v1/round-records/{world['sayo']}",
                     headers=bearer(world["nishi"])).get_json()
    assert one["municipality_code"] == "28501" and one["shared_departments"] == ["情報政策課"]
    assert one["held_at"].endswith("+09:00") and one["recorded_by"] == world["nishi"].display_name


def test_round_records_filter_and_cursor(client, world):
    later = record(world["nishi"], "佐用町").id  # a second round in 佐用町
    headers = bearer(world["manager"])
    sayo = client.get("/api/v1/round-records?municipality=28501", headers=headers).get_json()
    assert [r["id"] for r in sayo["items"]] == [later, world["sayo"]]
    first = client.get("/api/v1/round-records?limit=2", headers=headers).get_json()
    rest = client.get(f"/api/v1/round-records?limit=2&cursor={first['next_cursor']}",
                      headers=headers).get_json()
    assert [r["id"] for r in first["items"] + rest["items"]] == [later, world["toyooka"],
                                                                 world["sayo"]]
    assert rest["next_cursor"] is None
    assert_problem(client.get("/api/v1/round-records?municipality=abc", headers=headers), 422)


def test_round_coverage_and_status_per_region(client, world):
    nishi_id, tajima_id = region("西播磨").id, region("但馬").id
    mine = client.get("/api/v1/rounds/regions", headers=bearer(world["nishi"])).get_json()
    assert [r["region_id"] for r in mine] == [nishi_id]
    assert mine[0]["visited"] == 1 and mine[0]["total"] == len(region("西播磨").municipalities)
    everyone = client.get("/api/v1/rounds/regions", headers=bearer(world["manager"])).get_json()
    assert {nishi_id, tajima_id} <= {r["region_id"] for r in everyone}
    plan = client.get(f"/api/v1/rounds/regions/{nishi_id}", headers=bearer(world["nishi"]))
    statuses = {s["municipality_code"]: s["status"] for s in plan.get_json()["statuses"]}
    assert statuses["28501"] == "visited"
    assert set(statuses.values()) <= {"visited", "due", "overdue"}
    assert_problem(client.get(f"/api/v1/rounds/regions/{tajima_id}",
                              headers=bearer(world["nishi"])), 404)
    assert_problem(client.get(f"/api/v1/rounds/regions/{region('神戸').id}",
                              headers=bearer(world["manager"])), 404)  # no round plan
    assert_problem(client.get("/api/v1/rounds/regions", headers=bearer(world["staff"])), 403)
