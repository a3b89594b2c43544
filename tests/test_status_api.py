"""The tracker over the API: the same scoping as the pages (staff read their own only)."""
from datetime import date

from tests.factories import (make_staff, make_status_value, make_system_migration, make_user,
                             municipality)
from tests.test_api import assert_problem, bearer


def test_status_api_scoping_and_history(app, client):
    sayo, kobe = municipality("佐用町"), municipality("神戸市")
    make_status_value(sayo, "dx_step", 1, as_of=date(2026, 4, 10))
    make_status_value(sayo, "dx_step", 2, as_of=date(2026, 10, 1), source_kind="survey")
    make_status_value(kobe, "dx_step", 3, as_of=date(2026, 5, 1))
    make_system_migration(sayo, "kokuho", "migrated", as_of=date(2026, 6, 1),
                          migrated_on=date(2026, 5, 31), vendor="テスト電算")
    staff = bearer(make_staff("佐用町"))
    items = client.get("/api/v1/status/items", headers=staff).get_json()
    assert "dx_step" in [i["key"] for i in items]
    mine = client.get("/api/v1/status/values?item=dx_step", headers=staff).get_json()
    assert [(v["municipality_code"], v["value"], v["source_kind"]) for v in mine] == [
        (sayo.code, 2, "survey")]
    history = client.get(f"/api/v1/municipalities/{sayo.code}/status/dx_step/history",
                         headers=staff).get_json()
    assert [v["as_of"] for v in history] == ["2026-10-01", "2026-04-10"]
    assert_problem(client.get(f"/api/v1/municipalities/{kobe.code}/status/dx_step/history",
                              headers=staff), 404)
    assert_problem(client.get(f"/api/v1/municipalities/{kobe.code}/standardisation",
                              headers=staff), 404)
    [kokuho] = client.get(f"/api/v1/municipalities/{sayo.code}/standardisation",
                          headers=staff).get_json()
    assert (kokuho["status"], kokuho["overdue"]) == ("migrated", False)
    manager = bearer(make_user("manager"))
    every = client.get("/api/v1/status/values?item=dx_step", headers=manager).get_json()
    assert {v["municipality_code"] for v in every} == {sayo.code, kobe.code}
