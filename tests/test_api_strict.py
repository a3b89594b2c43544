"""The API takes types as documented, strictly: "yes" is not a boolean, "20" is not an integer,
an unknown value of a multipart field is refused; and the OpenAPI document says what the server
does (If-Match required where the server answers 428 without it; the path id range)."""
import io

import pytest
import sqlalchemy as sa

from supportdesk.converters import MAX_ROW_ID
from supportdesk.extensions import db
from supportdesk.models import RequestAttachment, SupportRequest
from tests.factories import make_liaison, make_request, make_staff
from tests.test_api import assert_problem, bearer

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def _fields(body):
    return [e["field"] for e in body.get("errors", [])]


def _count(model):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("field,value", [
    ("submit", "yes"), ("submit", "true"), ("submit", 1), ("urgent", "on"), ("online", "1"),
    ("expected_participants", "20"), ("expected_participants", 20.0), ("title", 123),
    ("kind", "Lecture"), ("themes", "dx"),
])
def test_json_create_refuses_values_of_the_wrong_type(app, client, field, value):
    headers = bearer(make_staff("佐用町"), "write")
    # A consultation: submit=true files it at once (a lecture would ask for dates first).
    kind = "consultation" if field == "submit" else "lecture"
    body = {"kind": kind, "title": "講座の申込み", field: value}
    resp = client.post("/api/v1/requests", headers=headers, json=body)
    problem = assert_problem(resp, 422)
    assert field in _fields(problem), problem
    assert _count(SupportRequest) == 0  # not silently taken


def test_json_with_the_right_types_is_still_taken(app, client):
    headers = bearer(make_staff("佐用町"), "write")
    resp = client.post("/api/v1/requests", headers=headers, json={
        "kind": "lecture", "title": "講座の申込み", "submit": False, "urgent": True,
        "expected_participants": 20, "needed_by": "2099-04-01", "program": "kaizen",
        "candidate_dates": [{"starts_at": "2099-05-10T13:30:00+09:00",
                             "ends_at": "2099-05-10T16:30:00+09:00"}]})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["state"] == "draft"


def test_patch_transition_comment_and_visit_bodies_are_strict(app, client):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(staff)
    w_staff, w_liaison = bearer(staff, "write"), bearer(liaison, "write")
    base = f"/api/v1/requests/{sreq.id}"
    problem = assert_problem(client.patch(base, headers={**w_staff, "If-Match": "*"},
                                          json={"submit": "yes"}), 422)
    assert _fields(problem) == ["submit"]
    problem = assert_problem(client.post(base + "/comments", headers=w_liaison,
                                         json={"body": "メモ", "internal": "yes"}), 422)
    assert _fields(problem) == ["internal"]
    problem = assert_problem(client.post(base + "/transitions", headers=w_liaison,
                                         json={"action": "triage", "reason": 5}), 422)
    assert _fields(problem) == ["reason"]
    problem = assert_problem(client.post("/api/v1/visits", headers=w_liaison, json={
        "kind": "meeting", "title": "打合せ", "starts_at": "2099-05-10T10:00:00",
        "ends_at": "2099-05-10T11:00:00", "municipality_codes": ["28501"], "confirm": "yes"}), 422)
    assert _fields(problem) == ["confirm"]


def test_query_strings_are_still_parsed_from_text(app, client):
    headers = bearer(make_staff("佐用町"))
    assert client.get("/api/v1/requests?limit=5", headers=headers).status_code == 200
    assert client.get("/api/v1/notifications?unread=true", headers=headers).status_code == 200


def test_multipart_upload_refuses_an_unknown_internal_value(app, client):
    staff = make_staff("佐用町")
    sreq = make_request(staff)
    url = f"/api/v1/requests/{sreq.id}/attachments"
    for value in ("yes", "true", "2", ""):
        resp = client.post(url, headers=bearer(staff, "write"), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(PDF), "a.pdf"), "internal": value})
        problem = assert_problem(resp, 422)
        assert _fields(problem) == ["internal"], value
    assert _count(RequestAttachment) == 0
    resp = client.post(url, headers=bearer(staff, "write"), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(PDF), "a.pdf"), "internal": "0"})
    assert resp.status_code == 201 and resp.get_json()[0]["internal"] is False


def test_multipart_is_not_taken_as_a_json_body(app, client):
    """submit=yes as a form field: the JSON endpoint refuses the body, it does not guess."""
    resp = client.post("/api/v1/requests", headers=bearer(make_staff("佐用町"), "write"),
                       content_type="multipart/form-data",
                       data={"kind": "lecture", "title": "講座", "submit": "yes"})
    assert_problem(resp, 400)
    assert _count(SupportRequest) == 0


# --- the document agrees with the server ---------------------------------------------------

def _doc(client, headers):
    return client.get("/api/v1/openapi.json", headers=headers).get_json()


def test_header_parameters_required_in_the_document_are_required_by_the_server(app, client):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(staff)
    tokens = {"staff": bearer(staff, "write"), "liaison": bearer(liaison, "write")}
    doc = _doc(client, tokens["staff"])
    checked = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            headers = [p for p in op.get("parameters", []) if p["in"] == "header"]
            if not headers:
                continue
            url = path.replace("{request_id}", str(sreq.id))
            assert "{" not in url, f"no object for {path}"
            for param in headers:
                for who, token in tokens.items():
                    resp = client.open(url, method=method.upper(), headers=token, json={})
                    where = f"{who}: {method.upper()} {path} without {param['name']}"
                    if param["required"]:
                        assert resp.status_code == 428, where
                        assert "428" in op["responses"], where
                    else:
                        assert resp.status_code != 428, where
                    checked += 1
    assert checked >= 4
    patch = doc["paths"]["/api/v1/requests/{request_id}"]["patch"]
    (if_match,) = [p for p in patch["parameters"] if p["name"] == "If-Match"]
    assert if_match["required"] is True


def test_documented_path_id_range_is_the_routed_range(app, client):
    staff = make_staff("佐用町")
    headers = bearer(staff)
    doc = _doc(client, headers)
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for p in op.get("parameters", []):
                if p["in"] == "path" and p["schema"].get("type") == "integer":
                    assert p["schema"]["minimum"] == 1 and p["schema"]["maximum"] == MAX_ROW_ID, path
    assert_problem(client.get(f"/api/v1/requests/{MAX_ROW_ID}", headers=headers), 404)
    assert_problem(client.get(f"/api/v1/requests/{MAX_ROW_ID + 1}", headers=headers), 404)
    # A 500 is documented as problem+json with the reference id.
    assert "reference" in doc["components"]["schemas"]["Problem"]["properties"]
