"""/api/v1/contacts: the contact directory read with the pages' scoping, in the OpenAPI
document."""
from datetime import date

from tests.factories import make_contact, make_expert, make_liaison, make_staff, make_user
from tests.test_api import assert_problem, bearer


def test_contacts_are_read_with_the_same_scoping_as_the_pages(app, client):
    sayo = make_contact("佐用町", "cio", name="佐用 CIO", title="副町長")
    make_contact("佐用町", "cio", name="前任", valid_from=date(2020, 4, 1),
                 valid_to=date(2024, 3, 31))
    toyooka = make_contact("豊岡市", "mayor", name="豊岡 市長")
    staff = bearer(make_staff("佐用町"))
    body = client.get("/api/v1/contacts", headers=staff).get_json()
    assert {c["name"] for c in body["items"]} == {"佐用 CIO", "前任"}
    assert body["items"][0]["municipality_code"] == "28501"
    assert client.get(f"/api/v1/contacts/{sayo.id}", headers=staff).get_json()["title"] == "副町長"
    assert_problem(client.get(f"/api/v1/contacts/{toyooka.id}", headers=staff), 404)
    liaison = bearer(make_liaison("但馬"))
    cios = client.get("/api/v1/contacts?role=cio&on=2026-12-01", headers=liaison).get_json()
    assert [c["name"] for c in cios["items"]] == ["佐用 CIO"]
    mine = client.get("/api/v1/contacts?municipality=28209", headers=bearer(make_user("manager")))
    assert [c["name"] for c in mine.get_json()["items"]] == ["豊岡 市長"]
    assert_problem(client.get("/api/v1/contacts", headers=bearer(make_expert())), 403)
    assert_problem(client.get("/api/v1/contacts?role=king", headers=liaison), 422)
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/contacts", "/api/v1/contacts/{contact_id}"} <= set(doc["paths"])
    roles = doc["components"]["schemas"]["MunicipalContactOut"]["properties"]["role"]
    assert "external_talent" in str(roles)
