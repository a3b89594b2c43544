"""The API's contract is public, its data is not: /api/v1/openapi.json and /api/v1/docs answer
without a token, load nothing from outside the desk (LGWAN has no internet), and are listed as
public in the route inventory on purpose."""
import re

from supportdesk.views import PUBLIC_ENDPOINTS
from tests.test_api import assert_problem


def test_openapi_document_is_readable_without_a_token(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.1") and "/api/v1/requests" in doc["paths"]


def test_docs_page_is_readable_without_a_token_and_loads_nothing_remote(client):
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "/api/v1/requests" in html and "/api/v1/openapi.json" in html
    # Every script, stylesheet, image or frame comes from the desk itself.
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "the page links at least its own stylesheet"
    remote = [s for s in sources if re.match(r"^(?:[a-z]+:)?//", s)]
    assert remote == []


def test_data_still_needs_a_token(client):
    for path in ("/api/v1/me", "/api/v1/requests", "/api/v1/cases",
                 "/api/v1/engagements"):
        assert_problem(client.get(path), 401)


def test_route_inventory_lists_the_contract_as_public_on_purpose():
    assert {"api.openapi_json", "api.docs"} <= PUBLIC_ENDPOINTS
