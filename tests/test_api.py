"""The /api/v1 endpoints: tokens, scopes, tenant isolation, problem+json, pagination, limits."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk.api.core import REGISTRY
from supportdesk.extensions import db
from supportdesk.models import ExpertAssignment, RequestComment
from supportdesk.services.accounts.api_tokens import create_token, revoke_token
from supportdesk.timeutil import utcnow
from tests.factories import (PASSWORD, make_expert, make_liaison, make_request, make_staff, make_user)



def bearer(user, scope="read", days=30):
    _t, clear = create_token(user, name="test", scope=scope, days=days)
    db.session.commit()
    return {"Authorization": f"Bearer {clear}"}


def assert_problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and body["title"]
    assert any(ord(ch) > 0x3000 for ch in body["title"]), "title should be Japanese"
    return body


def test_anonymous_gets_401_problem(client):
    # The contract (openapi.json, docs) is public: tests/test_api_public_contract.py.
    for path in ("/api/v1/me", "/api/v1/requests"):
        body = assert_problem(client.get(path), 401)
        assert body["instance"] == path


def test_token_works_and_scope_expiry_revocation(app, client):
    staff = make_staff("佐用町")
    headers = bearer(staff)
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["email"] == staff.email and me["scope"] == "read" and me["municipality_code"] == "28501"
    # Expired
    token, clear = create_token(staff, name="old", scope="read", days=1)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"}), 401)
    # Revoked
    token2, clear2 = create_token(staff, name="x", scope="read", days=5)
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear2}"}).status_code == 200
    revoke_token(token2, staff)
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear2}"}), 401)
    # A wrong secret
    assert_problem(client.get("/api/v1/me", headers={"Authorization": "Bearer sdk_nope"}), 401)
    # A deactivated user's token dies with the account
    staff.active = False
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=headers), 401)


def test_token_hash_only_is_stored(app):
    from supportdesk.models import ApiToken

    staff = make_staff()
    token, clear = create_token(staff, name="n", scope="write", days=10)
    db.session.commit()
    stored = db.session.get(ApiToken, token.id)
    assert clear not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64


def test_municipal_token_sees_only_its_municipality(app, client):
    sayo, toyooka = make_staff("佐用町"), make_staff("豊岡市")
    own = make_request(sayo, title="佐用の相談")
    other = make_request(toyooka, title="豊岡の相談")
    joint = make_request(toyooka, title="合同講座", co=["佐用町"])
    headers = bearer(sayo)
    munis = client.get("/api/v1/municipalities", headers=headers).get_json()
    assert [m["code"] for m in munis] == ["28501"]
    assert_problem(client.get("/api/v1/municipalities/28209", headers=headers), 404)
    ids = {r["id"] for r in client.get("/api/v1/requests", headers=headers).get_json()["items"]}
    assert ids == {own.id, joint.id}
    assert_problem(client.get(f"/api/v1/requests/{other.id}", headers=headers), 404)
    assert client.get(f"/api/v1/requests/{joint.id}", headers=headers).status_code == 200
    # A missing request and another municipality's look the same.
    missing = client.get("/api/v1/requests/999999", headers=headers)
    assert missing.get_json()["title"] == client.get(f"/api/v1/requests/{other.id}",
                                                     headers=headers).get_json()["title"]
    # Filtering by another municipality yields only the joint request this one is part of.
    items = client.get("/api/v1/requests?municipality=28209", headers=headers).get_json()["items"]
    assert [r["id"] for r in items] == [joint.id]
    assert client.get("/api/v1/requests?q=豊岡の相談", headers=headers).get_json()["items"] == []
    assert [r["id"] for r in client.get("/api/v1/requests?q=合同", headers=headers).get_json()["items"]] \
        == [joint.id]


def test_liaison_and_expert_scopes(app, client):
    sayo, toyooka = make_staff("佐用町"), make_staff("豊岡市")
    a, b = make_request(sayo), make_request(toyooka)
    liaison = make_liaison("西播磨")
    ids = {r["id"] for r in client.get("/api/v1/requests", headers=bearer(liaison)).get_json()["items"]}
    assert ids == {a.id, b.id}
    expert = make_expert()
    db.session.add(ExpertAssignment(request_id=b.id, expert_id=expert.id, assigned_by_id=liaison.id))
    db.session.commit()
    eh = bearer(expert)
    ids = {r["id"] for r in client.get("/api/v1/requests", headers=eh).get_json()["items"]}
    assert ids == {b.id}
    assert_problem(client.get(f"/api/v1/requests/{a.id}", headers=eh), 404)


def test_internal_notes_hidden_from_municipal_callers(app, client):
    sayo = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(sayo)
    db.session.add_all([RequestComment(request_id=sreq.id, author_id=liaison.id, body="公開の回答"),
                        RequestComment(request_id=sreq.id, author_id=liaison.id, body="内部メモ",
                                       internal=True)])
    db.session.commit()
    staff_view = client.get(f"/api/v1/requests/{sreq.id}", headers=bearer(sayo)).get_json()
    assert [c["body"] for c in staff_view["conversation"]] == ["公開の回答"]
    liaison_view = client.get(f"/api/v1/requests/{sreq.id}", headers=bearer(liaison)).get_json()
    assert [c["body"] for c in liaison_view["conversation"]] == ["公開の回答", "内部メモ"]


def test_cursor_pagination_survives_inserts_between_pages(app, client):
    sayo = make_staff("佐用町")
    created = [make_request(sayo, title=f"依頼{i}").id for i in range(25)]
    headers = bearer(sayo)
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/requests?limit=10" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers).get_json()
        seen += [r["id"] for r in page["items"]]
        pages += 1
        make_request(sayo, title=f"途中で追加{pages}")  # arrives between page loads
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 25 and set(seen) == set(created)


def test_validation_errors_are_field_level_problems(app, client):
    headers = bearer(make_staff())
    body = assert_problem(client.get("/api/v1/requests?limit=0", headers=headers), 422)
    assert body["errors"][0]["field"] == "limit" and body["errors"][0]["message"]
    body = assert_problem(client.get("/api/v1/requests?state=nonsense&bogus=1", headers=headers), 422)
    assert {e["field"] for e in body["errors"]} == {"state", "bogus"}
    assert_problem(client.get("/api/v1/requests?cursor=%%%", headers=headers), 400)


def test_rate_limit_answers_429_with_retry_after(make_app):
    app = make_app(API_RATE_LIMIT="3 per minute")
    with app.app_context():
        headers = bearer(make_staff())
        client = app.test_client()
        codes = [client.get("/api/v1/me", headers=headers).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        resp = client.get("/api/v1/me", headers=headers)
        assert_problem(resp, 429)
        assert int(resp.headers["Retry-After"]) > 0


def test_session_login_also_works_for_reads(app, client, login_as):
    staff = make_staff("佐用町")
    login_as(staff)
    assert client.get("/api/v1/me").get_json()["email"] == staff.email


def test_openapi_documents_every_endpoint(app, client):
    headers = bearer(make_user("admin"))
    doc = client.get("/api/v1/openapi.json", headers=headers).get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint in ("api.openapi_json", "api.docs"):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", "{%s}" % arg).replace(f"<{arg}>", "{%s}" % arg)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} missing from openapi.json"
    assert len(documented) == len(REGISTRY)
    page = client.get("/api/v1/docs", headers=headers)
    assert page.status_code == 200 and "/api/v1/requests" in page.get_data(as_text=True)


def test_cli_create_token_prints_a_working_token(app, runner, client):
    user = make_user("liaison", email="rpa@pref.example.jp")
    result = runner.invoke(args=["create-token", user.email, "--scope", "write", "--days", "7"])
    assert result.exit_code == 0, result.output
    clear = result.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"}).get_json()
    assert me["scope"] == "write" and me["email"] == user.email
    bad = runner.invoke(args=["create-token", "nobody@example.jp"])
    assert bad.exit_code != 0 and "no user" in bad.output


def test_token_settings_page_creates_and_revokes(app, client, login_as):
    from supportdesk.models import ApiToken

    staff = make_staff()
    login_as(staff)
    page = client.post("/account/tokens/", data={"name": "RPA", "scope": "read", "days": "30"})
    html = page.get_data(as_text=True)
    assert "sdk_" in html
    bad = client.post("/account/tokens/", data={"name": "", "scope": "read", "days": "999"})
    text = bad.get_data(as_text=True)
    assert "名前を入力してください。" in text and "有効期間は1〜366日で指定してください。" in text
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == staff.id))
    other = make_staff("豊岡市")
    other_token, _ = create_token(other, name="他人", days=5)
    db.session.commit()
    assert client.post(f"/account/tokens/{other_token.id}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert db.session.get(ApiToken, other_token.id).revoked_at is None


@pytest.mark.parametrize("path", ["/api/v1/regions", "/api/v1/themes"])
def test_reference_lists(app, client, path):
    data = client.get(path, headers=bearer(make_staff())).get_json()
    assert len(data) in (10, 20)


def test_token_validity_has_one_limit_for_page_cli_and_service(make_app):
    """API_TOKEN_MAX_DAYS bounds a token's validity on the token page, in the CLI and in the
    service; the service (not only the CLI) refuses a token for a deactivated account."""
    from supportdesk.services import ValidationFailed

    app = make_app(API_TOKEN_MAX_DAYS=30)
    with app.app_context():
        user = make_user("liaison", email="rpa30@pref.example.jp")
        gone = make_user("liaison", email="gone@pref.example.jp")
        gone.active = False
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": PASSWORD})
        page = client.post("/account/tokens/", data={"name": "RPA", "scope": "read", "days": "31"})
        assert "有効期間は1〜30日で指定してください。" in page.get_data(as_text=True)
        assert "sdk_" not in page.get_data(as_text=True)
        runner = app.test_cli_runner()
        assert runner.invoke(args=["create-token", user.email, "--days", "31"]).exit_code != 0
        assert runner.invoke(args=["create-token", user.email, "--days", "30"]).exit_code == 0
        refused = runner.invoke(args=["create-token", gone.email, "--days", "5"])
        assert refused.exit_code != 0 and "無効" in refused.output
        with pytest.raises(ValidationFailed):
            create_token(gone, name="x", days=5)
