"""/api/v1/visits: range list, read, create, confirm, cancel, record, for every role."""
from datetime import datetime

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Visit
from supportdesk.services.visits.lifecycle import create_visit
from supportdesk.timeutil import JST
from tests.factories import (make_expert, make_liaison, make_staff, make_user, make_request,
                             municipality)
from tests.test_api import assert_problem, bearer


def at(month, day, hour, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=JST)


@pytest.fixture
def world(app):
    """Two municipalities' visits, the people around them, and one visit outside the range."""
    liaison = make_liaison("西播磨")
    attending, other_expert = make_expert(), make_expert()
    sayo = create_visit(liaison, kind="lecture", title="佐用の講座", starts_at=at(6, 3, 10),
                        ends_at=at(6, 3, 12), municipalities=[municipality("佐用町")],
                        attendees=[attending], confirm=True)
    toyooka = create_visit(liaison, kind="round", title="豊岡の巡回", starts_at=at(6, 30, 23),
                           ends_at=at(7, 1, 1), municipalities=[municipality("豊岡市")])
    later = create_visit(liaison, kind="meeting", title="翌年の連絡会", starts_at=at(6, 3, 10, year=2027),
                         ends_at=at(6, 3, 11, year=2027), municipalities=[municipality("佐用町")])
    db.session.commit()
    return dict(liaison=liaison, attending=attending, other_expert=other_expert,
                staff=make_staff("佐用町"), other_staff=make_staff("豊岡市"),
                manager=make_user("manager"), admin=make_user("admin"),
                sayo=sayo.id, toyooka=toyooka.id, later=later.id)


# The 2027 visit in 佐用町 with nobody attending: outside the range, still readable by id.
LATER_SEEN_BY = {"staff", "liaison", "manager", "admin"}
RANGE = "/api/v1/visits?from=2026-06-01&to=2026-06-30"

EXPECTED = {"staff": {"sayo"}, "other_staff": {"toyooka"}, "liaison": {"sayo", "toyooka"},
            "attending": {"sayo"}, "other_expert": set(), "manager": {"sayo", "toyooka"},
            "admin": {"sayo", "toyooka"}}


def test_range_list_and_reads_per_role(client, world):
    for role, names in EXPECTED.items():
        headers = bearer(world[role])
        items = client.get(RANGE, headers=headers).get_json()
        assert {v["id"] for v in items} == {world[n] for n in names}, role
        for name in ("sayo", "toyooka", "later"):
            resp = client.get(f"/api/v1/visits/{world[name]}", headers=headers)
            visible = name in names or (name == "later" and role in LATER_SEEN_BY)
            assert resp.status_code == (200 if visible else 404), (role, name)
            if not visible:
                assert_problem(resp, 404)
    # The Tokyo day counts: the visit starting 23:00 JST on 6/30 is in June (14:00 UTC).
    v = client.get(RANGE, headers=bearer(world["liaison"])).get_json()
    toyooka = next(x for x in v if x["id"] == world["toyooka"])
    assert toyooka["starts_at"] == "2026-06-30T23:00:00+09:00"
    assert toyooka["municipality_codes"] == ["28209"] and toyooka["state"] == "proposed"
    assert set(toyooka["allowed_actions"]) == {"confirm", "cancel", "postpone"}


def test_cross_municipality_visit_looks_missing(client, world):
    headers = bearer(world["staff"])
    other = client.get(f"/api/v1/visits/{world['toyooka']}", headers=headers)
    missing = client.get("/api/v1/visits/999999", headers=headers)
    assert assert_problem(other, 404)["title"] == assert_problem(missing, 404)["title"]
    write = bearer(world["other_staff"], "write")
    for action, body in (("confirm", None), ("cancel", {"reason": "都合"}), ("record", {})):
        resp = client.post(f"/api/v1/visits/{world['sayo']}/{action}", json=body, headers=write)
        assert_problem(resp, 404)
    assert db.session.get(Visit, world["sayo"]).state == "confirmed"


def test_range_is_required_and_bounded(client, world):
    headers = bearer(world["liaison"])
    body = assert_problem(client.get("/api/v1/visits", headers=headers), 422)
    assert {e["field"] for e in body["errors"]} == {"from", "to"}
    body = assert_problem(client.get("/api/v1/visits?from=2026-06-10&to=2026-06-01",
                                     headers=headers), 422)
    assert body["errors"] == [{"field": "to", "message": "終了日は開始日以降にしてください。"}]
    body = assert_problem(client.get("/api/v1/visits?from=2026-01-01&to=2027-06-01",
                                     headers=headers), 422)
    assert body["errors"][0]["field"] == "to" and "366日" in body["errors"][0]["message"]
    body = assert_problem(client.get("/api/v1/visits?from=6/1&to=2026-06-30&state=x",
                                     headers=headers), 422)
    assert {e["field"] for e in body["errors"]} == {"from", "state"}
    assert "YYYY-MM-DD" in next(e["message"] for e in body["errors"] if e["field"] == "from")
    year = client.get("/api/v1/visits?from=2026-06-04&to=2027-06-04", headers=headers).get_json()
    assert {v["id"] for v in year} == {world["toyooka"], world["later"]}


def new_visit(**over):
    body = {"kind": "lecture", "title": "API講座", "starts_at": "2026-09-01T10:00:00+09:00",
            "ends_at": "2026-09-01T12:00:00", "municipality_codes": ["28501"]}
    body.update(over)
    return body


def test_create_is_for_liaisons_with_a_write_token(client, world):
    resp = client.post("/api/v1/visits", json=new_visit(attendee_ids=[world["attending"].id]),
                       headers=bearer(world["liaison"], "write"))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    v = resp.get_json()
    assert v["state"] == "proposed" and v["liaison"]["id"] == world["liaison"].id
    # A time without offset is Tokyo time.
    assert v["ends_at"] == "2026-09-01T12:00:00+09:00"
    assert [p["id"] for p in v["attendees"]] == [world["attending"].id]
    assert resp.headers["ETag"] == f'"{v["version"]}"'
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Visit))
    for role in ("staff", "other_staff", "attending", "manager", "admin"):
        assert_problem(client.post("/api/v1/visits", json=new_visit(),
                                   headers=bearer(world[role], "write")), 403)
    assert_problem(client.post("/api/v1/visits", json=new_visit(),
                               headers=bearer(world["liaison"], "read")), 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == before


def test_create_validation_is_field_level(client, world):
    headers = bearer(world["liaison"], "write")
    resp = client.post("/api/v1/visits", json={"kind": "party"}, headers=headers)
    body = assert_problem(resp, 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"kind", "title", "starts_at", "ends_at", "municipality_codes"}
    assert all(e["message"] for e in body["errors"])
    body = assert_problem(client.post("/api/v1/visits", json=new_visit(
        ends_at="2026-09-01T09:00:00+09:00"), headers=headers), 422)
    assert body["errors"] == [{"field": "ends_at", "message": "終了は開始より後にしてください。"}]
    resp = client.post("/api/v1/visits", json=new_visit(municipality_codes=["99999"]),
                       headers=headers)
    body = assert_problem(resp, 422)
    assert body["errors"][0]["field"] == "municipality_codes"
    body = assert_problem(client.post("/api/v1/visits", json=new_visit(
        attendee_ids=[world["staff"].id]), headers=headers), 422)
    assert body["errors"][0]["field"] == "attendee_ids"
    body = assert_problem(client.post("/api/v1/visits", json=new_visit(request_id=999999),
                                      headers=headers), 422)
    assert body["errors"][0]["field"] == "request_id"
    assert_problem(client.post("/api/v1/visits", data="x", headers=headers), 400)


def test_double_booking_is_a_409_with_the_clash(client, world):
    headers = bearer(world["liaison"], "write")
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Visit))
    clash = new_visit(starts_at="2026-06-03T11:00:00+09:00", ends_at="2026-06-03T13:00:00+09:00",
                      attendee_ids=[world["attending"].id], confirm=True)
    body = assert_problem(client.post("/api/v1/visits", json=clash, headers=headers), 409)
    assert body["title"] == "日程が重複しています。"
    assert world["attending"].display_name in body["detail"] and "佐用の講座" in body["detail"]
    assert body["clashes"][0]["visit_id"] == world["sayo"]
    assert body["clashes"][0]["starts_at"] == "2026-06-03T10:00:00+09:00"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == count
    # Proposed first, then confirmed: the same refusal, and the visit stays proposed.
    clash["confirm"] = False
    created = client.post("/api/v1/visits", json=clash, headers=headers).get_json()
    body = assert_problem(client.post(f"/api/v1/visits/{created['id']}/confirm", headers=headers),
                          409)
    assert "日程が重複しています。" in body["detail"]
    assert client.get(f"/api/v1/visits/{created['id']}", headers=headers).get_json()["state"] \
        == "proposed"


def test_confirm_cancel_and_illegal_transitions(client, world):
    headers = bearer(world["liaison"], "write")
    vid = world["toyooka"]
    for role in ("other_staff", "manager", "admin"):  # they see it but may not change it
        assert_problem(client.post(f"/api/v1/visits/{vid}/confirm",
                                   headers=bearer(world[role], "write")), 403)
    assert_problem(client.post(f"/api/v1/visits/{vid}/confirm", headers=bearer(world["liaison"])),
                   403)
    resp = client.post(f"/api/v1/visits/{vid}/confirm", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["state"] == "confirmed"
    body = assert_problem(client.post(f"/api/v1/visits/{vid}/confirm", headers=headers), 409)
    assert "確定" in body["title"]
    body = assert_problem(client.post(f"/api/v1/visits/{vid}/cancel", json={"reason": ""},
                                      headers=headers), 422)
    assert body["errors"][0]["field"] == "reason"
    resp = client.post(f"/api/v1/visits/{vid}/cancel", json={"reason": "台風のため"}, headers=headers)
    assert resp.get_json()["state"] == "cancelled"
    assert resp.get_json()["cancel_reason"] == "台風のため"
    # A cancelled visit cannot be recorded or cancelled again.
    assert_problem(client.post(f"/api/v1/visits/{vid}/record", json={}, headers=headers), 409)
    assert_problem(client.post(f"/api/v1/visits/{vid}/cancel", json={"reason": "再"},
                               headers=headers), 409)


def test_record_by_attending_expert_and_who_sees_it(client, world):
    vid = world["sayo"]
    record = {"attendees_executives": 2, "attendees_business": 10, "covered": "生成AIの基礎",
              "issues": "庁内規程が未整備", "follow_ups": "規程ひな形を送る"}
    assert_problem(client.post(f"/api/v1/visits/{vid}/record", json=record,
                               headers=bearer(world["other_expert"], "write")), 404)
    for role in ("staff", "manager", "admin"):
        assert_problem(client.post(f"/api/v1/visits/{vid}/record", json=record,
                                   headers=bearer(world[role], "write")), 403)
    body = assert_problem(client.post(f"/api/v1/visits/{vid}/record",
                                      json={"attendees_other": -1, "bogus": 1},
                                      headers=bearer(world["attending"], "write")), 422)
    assert {e["field"] for e in body["errors"]} == {"attendees_other", "bogus"}
    resp = client.post(f"/api/v1/visits/{vid}/record", json=record,
                       headers=bearer(world["attending"], "write"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    v = resp.get_json()
    assert v["state"] == "held" and v["record"]["issues"] == "庁内規程が未整備"
    assert v["record"]["attendees_business"] == 10 and v["record"]["attendees_information"] == 0
    # The record stays on the prefecture side.
    staff_view = client.get(f"/api/v1/visits/{vid}", headers=bearer(world["staff"])).get_json()
    assert staff_view["state"] == "held" and staff_view["record"] is None
    manager_view = client.get(f"/api/v1/visits/{vid}", headers=bearer(world["manager"])).get_json()
    assert manager_view["record"]["covered"] == "生成AIの基礎"
    # A visit that has not started yet cannot be recorded.
    future = client.post("/api/v1/visits", json=new_visit(starts_at="2099-01-05T10:00:00+09:00",
                                                          ends_at="2099-01-05T11:00:00+09:00",
                                                          confirm=True),
                         headers=bearer(world["liaison"], "write")).get_json()
    body = assert_problem(client.post(f"/api/v1/visits/{future['id']}/record", json=record,
                                      headers=bearer(world["liaison"], "write")), 422)
    assert body["errors"][0]["field"] == "covered"


def test_visit_for_a_request_moves_the_request(client, world):
    sreq = make_request(kind="lecture", state="triage")
    resp = client.post("/api/v1/visits", json=new_visit(request_id=sreq.id, confirm=True),
                       headers=bearer(world["liaison"], "write"))
    assert resp.status_code == 201 and resp.get_json()["request_id"] == sreq.id
    db.session.expire_all()
    assert sreq.state == "scheduled"
    # The request id shows to those who may see the request; other callers get null.
    vid = resp.get_json()["id"]
    assert client.get(f"/api/v1/visits/{vid}", headers=bearer(world["staff"])).get_json()[
        "request_id"] == sreq.id


def test_if_match_refuses_a_stale_version(client, world):
    headers = bearer(world["liaison"], "write")
    vid = world["toyooka"]
    etag = client.get(f"/api/v1/visits/{vid}", headers=headers).headers["ETag"]
    client.post(f"/api/v1/visits/{vid}/confirm", headers={**headers, "If-Match": etag})
    resp = client.post(f"/api/v1/visits/{vid}/cancel", json={"reason": "重複"},
                       headers={**headers, "If-Match": etag})
    body = assert_problem(resp, 409)
    assert body["current_version"] == int(resp.headers["ETag"].strip('"'))
    assert resp.headers["ETag"] != etag
    assert db.session.get(Visit, vid).state == "confirmed"
    ok = client.post(f"/api/v1/visits/{vid}/cancel", json={"reason": "重複"},
                     headers={**headers, "If-Match": resp.headers["ETag"]})
    assert ok.status_code == 200 and ok.get_json()["state"] == "cancelled"


WRITES = [("/api/v1/visits", None), ("/api/v1/visits/{sayo}/confirm", None),
          ("/api/v1/visits/{sayo}/cancel", {"reason": "x"}), ("/api/v1/visits/{sayo}/record", {}),
          ("/api/v1/announcements", {}), ("/api/v1/announcements/1/read", None),
          ("/api/v1/notifications/1/read", None), ("/api/v1/notifications/read-all", None)]


@pytest.mark.parametrize("path,body", WRITES)
def test_read_token_cannot_post(client, world, path, body):
    resp = client.post(path.format(**world), json=body, headers=bearer(world["liaison"], "read"))
    assert assert_problem(resp, 403)["title"] == "このトークンには書き込みの権限がありません。"


def test_openapi_document_matches_visit_behaviour(client, world):
    """Every status seen here is documented for its operation, and bodies fit the schemas."""
    from pydantic import TypeAdapter

    from supportdesk.api.core import REGISTRY

    liaison = bearer(world["liaison"], "write")
    doc = client.get("/api/v1/openapi.json", headers=liaison).get_json()
    calls = [
        ("GET", "/api/v1/visits", RANGE, None, bearer(world["staff"])),
        ("GET", "/api/v1/visits", "/api/v1/visits?from=x", None, liaison),
        ("GET", "/api/v1/visits/{visit_id}", f"/api/v1/visits/{world['toyooka']}", None,
         bearer(world["staff"])),
        ("POST", "/api/v1/visits", "/api/v1/visits", new_visit(), liaison),
        ("POST", "/api/v1/visits", "/api/v1/visits", new_visit(),
         bearer(world["staff"], "write")),
        ("POST", "/api/v1/visits/{visit_id}/confirm", f"/api/v1/visits/{world['toyooka']}/confirm",
         None, liaison),
        ("POST", "/api/v1/visits/{visit_id}/confirm", f"/api/v1/visits/{world['toyooka']}/confirm",
         None, liaison),
        ("POST", "/api/v1/visits/{visit_id}/cancel", f"/api/v1/visits/{world['toyooka']}/cancel",
         {"reason": ""}, liaison),
        ("POST", "/api/v1/visits/{visit_id}/record", f"/api/v1/visits/{world['sayo']}/record",
         {"covered": "内容"}, liaison),
    ]
    for method, template, url, body, headers in calls:
        resp = client.open(url, method=method, json=body, headers=headers)
        op = doc["paths"][template][method.lower()]
        assert str(resp.status_code) in op["responses"], (method, url, resp.status_code)
        ep = next(e for e in REGISTRY if e.path == template and e.method == method)
        if resp.status_code < 300:
            TypeAdapter(ep.response).validate_python(resp.get_json())
    params = {p["name"] for p in doc["paths"]["/api/v1/visits"]["get"]["parameters"]}
    assert params == {"from", "to", "state", "kind"}
