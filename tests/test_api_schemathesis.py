"""Property-based run of the whole API against its own OpenAPI document (schemathesis 4).

What it checks, for every documented operation with generated (schema-valid) inputs, called
through the WSGI app with write tokens (a municipal staff member; a liaison on the second pass):
  - not_a_server_error: no 5xx;
  - response_schema_conformance: every JSON body matches the documented schema (problem+json
    bodies included);
  - status_code_conformance: every status code returned is documented for the operation;
  - content_type_conformance: every Content-Type returned is documented.
Two passes: the document as served (ids are random, so mostly 404 on objects), and the same
document with path ids narrowed to objects that exist (an own request, another municipality's
request, an attachment) so the write paths run the services for real, first as the staff member,
then as a liaison.
Bounded: EXAMPLES per operation, no deadline, no example database, derandomised.
"""
import copy
import io

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from supportdesk.extensions import db
from tests.factories import make_liaison, make_request, make_staff
from tests.test_api import bearer

CHECKS = [checks.not_a_server_error, openapi_checks.response_schema_conformance,
          openapi_checks.status_code_conformance, openapi_checks.content_type_conformance]
EXAMPLES = 10


def _run(schema, headers, seen):
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers=headers)
            seen.add((operation.label, response.status_code))
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            finally:
                db.session.rollback()

        run()


def _narrow(doc, ids):
    """The document with path parameters limited to the given values, and If-Match to "*"
    (any version) or "1" (usually stale), so edits sometimes go through."""
    doc = copy.deepcopy(doc)
    for ops in doc["paths"].values():
        for op in ops.values():
            for param in op.get("parameters", []):
                if param["in"] == "header" and param["name"] == "If-Match":
                    param["schema"] = {"type": "string", "enum": ["*", '"1"']}
                if param["in"] == "path" and param["name"] in ids:
                    values = ids[param["name"]]
                    kind = "integer" if isinstance(values[0], int) else "string"
                    param["schema"] = {"type": kind, "enum": values}
    return doc


def test_api_conforms_to_its_openapi_document(app, client):
    staff, other = make_staff("佐用町"), make_staff("豊岡市")
    own = make_request(staff, title="既存の相談")
    theirs = make_request(other, title="他市の相談")
    headers = bearer(staff, "write")
    uploaded = client.post(f"/api/v1/requests/{own.id}/attachments", headers=headers,
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"%PDF-1.7\n"), "a.pdf")}).get_json()
    seen = set()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)
    _run(schema, headers, seen)
    doc = client.get("/api/v1/openapi.json", headers=headers).get_json()
    ids = {"request_id": [own.id, theirs.id], "attachment_id": [uploaded[0]["id"]],
           "ym": ["2026-04", "2026-13"], "code": ["28501", "28209"]}
    narrowed = schemathesis.openapi.from_dict(_narrow(doc, ids))
    narrowed.app = app
    _run(narrowed, headers, seen)
    # A liaison reaches the prefecture-side paths: transitions, internal notes, reports.
    liaison_headers = bearer(make_liaison("西播磨"), "write")
    _run(narrowed, liaison_headers, seen)
    # The run reached real objects, not only 404s.
    assert ("GET /api/v1/requests/{request_id}", 200) in seen
    assert ("GET /api/v1/requests/{request_id}", 404) in seen
    assert ("POST /api/v1/requests", 201) in seen
    assert ("GET /api/v1/reports/monthly/{ym}", 200) in seen
    assert ("PATCH /api/v1/requests/{request_id}", 200) in seen
