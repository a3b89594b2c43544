"""/api/v1 writes: create, PATCH with If-Match, transitions, comments, attachments, the monthly
report; every role, cross-municipality attempts on each object type, scopes, 409/428/429."""
from datetime import timedelta

import pytest

from supportdesk.extensions import db
from supportdesk.models import ExpertAssignment
from supportdesk.services.accounts.api_tokens import create_token, revoke_token
from supportdesk.timeutil import utcnow
from tests.factories import make_expert, make_liaison, make_request, make_staff, make_user
from tests.test_api import assert_problem, bearer

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.fixture
def world(app):
    """Two municipalities in different regions, and one user of every role."""
    w = dict(sayo=make_staff("佐用町"), toyooka=make_staff("豊岡市"),
             liaison=make_liaison("西播磨"), tajima=make_liaison("但馬"),
             expert=make_expert(), outsider=make_expert(), manager=make_user("manager"),
             admin=make_user("admin"))
    w["own"] = make_request(w["sayo"], title="佐用の相談")
    w["other"] = make_request(w["toyooka"], title="豊岡の相談")
    db.session.add(ExpertAssignment(request_id=w["own"].id, expert_id=w["expert"].id,
                                    assigned_by_id=w["liaison"].id))
    db.session.commit()
    w["w"] = {k: bearer(w[k], "write") for k in ("sayo", "toyooka", "liaison", "tajima", "expert",
                                                  "outsider", "manager", "admin")}
    return w


def test_form_service_files_through_api_and_liaison_sees_it(app, client, login_as):
    """A LoGo-like form service posts with an integration account's write token."""
    account = make_staff("佐用町", email="logo-form@town.sayo.example.jp", name="LoGoフォーム連携")
    liaison = make_liaison("西播磨")
    headers = bearer(account, "write")
    resp = client.post("/api/v1/requests", headers=headers, json={
        "kind": "consultation", "title": "電子申請の導入相談", "body": "フォームから受付",
        "help_wanted": ["advice"],
        "urgent": True, "submit": True})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["state"] == "submitted" and body["number"] and body["municipality_code"] == "28501"
    assert resp.headers["Location"] == f"/api/v1/requests/{body['id']}"
    assert resp.headers["ETag"] == f'"{body["version"]}"'
    queue = client.get("/api/v1/requests?state=submitted", headers=bearer(liaison)).get_json()
    assert body["id"] in [r["id"] for r in queue["items"]]
    login_as(liaison)
    # The liaison's queue (their home page) lists it with its number.
    queue_page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert body["number"] in queue_page and "電子申請の導入相談" in queue_page
    page = client.get(f"/requests/{body['id']}")
    assert page.status_code == 200 and "電子申請の導入相談" in page.get_data(as_text=True)


def test_create_draft_roles_and_validation(app, client, world):
    w = world["w"]
    draft = client.post("/api/v1/requests", headers=w["sayo"],
                        json={"kind": "consultation", "title": "下書き"})
    assert draft.status_code == 201 and draft.get_json()["state"] == "draft"
    # Staff can never file for another municipality.
    assert_problem(client.post("/api/v1/requests", headers=w["sayo"], json={
        "kind": "consultation", "title": "x", "municipality_code": "28209"}), 404)
    # A liaison files on a municipality's behalf and must say which.
    body = assert_problem(client.post("/api/v1/requests", headers=w["liaison"],
                                      json={"kind": "consultation", "title": "代理"}), 422)
    assert body["errors"][0]["field"] == "municipality_code"
    ok = client.post("/api/v1/requests", headers=w["liaison"], json={
        "kind": "lecture", "title": "プッシュ型講座", "municipality_code": "28501", "origin": "push",
        "program": "kaizen", "submit": True})
    assert ok.status_code == 201 and ok.get_json()["origin"] == "push"
    for role in ("expert", "manager", "admin"):
        assert_problem(client.post("/api/v1/requests", headers=w[role],
                                   json={"kind": "consultation", "title": "x"}), 403)
    # Read tokens never write.
    assert_problem(client.post("/api/v1/requests", headers=bearer(world["sayo"]),
                               json={"kind": "consultation", "title": "x"}), 403)
    # Field-level problems: schema and service rules alike.
    body = assert_problem(client.post("/api/v1/requests", headers=w["sayo"], json={
        "kind": "nonsense", "title": "", "bogus": 1,
        "candidate_dates": [{"starts_at": "2099-01-01T10:00:00", "ends_at": "x"}]}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"kind", "title", "bogus", "candidate_dates.0.starts_at",
            "candidate_dates.0.ends_at"} <= fields
    assert all(any(ord(ch) > 0x3000 for ch in e["message"]) for e in body["errors"])
    body = assert_problem(client.post("/api/v1/requests", headers=w["sayo"], json={
        "kind": "consultation", "title": "x", "themes": ["nosuchtheme"]}), 422)
    assert body["errors"][0]["field"] == "themes"
    body = assert_problem(client.post("/api/v1/requests", headers=w["sayo"], json={
        "kind": "lecture", "title": "講座", "program": "kaizen", "submit": True}), 422)
    assert body["errors"][0]["field"] == "candidate_dates"
    assert_problem(client.post("/api/v1/requests", headers=w["sayo"], data="not json",
                               content_type="application/json"), 400)


def test_patch_needs_if_match_and_detects_stale_versions(app, client, world):
    w, own = world["w"], world["own"]
    url = f"/api/v1/requests/{own.id}"
    body = assert_problem(client.patch(url, headers=w["sayo"], json={"title": "新"}), 428)
    assert body["current_version"] == own.version
    etag = client.get(url, headers=w["sayo"]).headers["ETag"]
    resp = client.patch(url, headers={**w["sayo"], "If-Match": etag},
                        json={"title": "新しい件名", "urgent": True})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["title"] == "新しい件名" and resp.headers["ETag"] != etag
    # A second writer with the old ETag loses, and learns the current version.
    stale = client.patch(url, headers={**w["liaison"], "If-Match": etag}, json={"body": "上書き"})
    body = assert_problem(stale, 409)
    assert body["current_version"] == int(resp.headers["ETag"].strip('"'))
    assert stale.headers["ETag"] == resp.headers["ETag"]
    assert [c["field"] for c in body["changes"]] == ["title", "urgent"]
    assert_problem(client.patch(url, headers={**w["sayo"], "If-Match": "garbage"}, json={}), 409)
    fresh = {"If-Match": resp.headers["ETag"]}
    edited = client.patch(url, headers={**w["liaison"], **fresh}, json={"body": "追記"})
    assert edited.status_code == 200
    # Other municipality, out-of-region liaison sees it too (liaisons: all); other roles.
    assert_problem(client.patch(url, headers={**w["toyooka"], "If-Match": "*"}, json={}), 404)
    assert_problem(client.patch(url, headers={**w["outsider"], "If-Match": "*"}, json={}), 404)
    for role in ("expert", "manager", "admin"):
        assert_problem(client.patch(url, headers={**w[role], "If-Match": "*"}, json={}), 403)
    read_only = {**bearer(world["sayo"]), "If-Match": "*"}
    assert_problem(client.patch(url, headers=read_only, json={}), 403)
    body = assert_problem(client.patch(url, headers={**w["sayo"], "If-Match": "*"},
                                       json={"expected_participants": 0}), 422)
    assert body["errors"][0]["field"] == "expected_participants"


def test_transitions(app, client, world):
    w, own, other = world["w"], world["own"], world["other"]
    url = f"/api/v1/requests/{own.id}/transitions"
    illegal = assert_problem(client.post(url, headers=w["liaison"], json={"action": "close"}), 409)
    assert "できません" in illegal["title"]
    assert_problem(client.post(url, headers=w["liaison"], json={"action": "hold"}), 409)
    assert_problem(client.post(url, headers=w["liaison"], json={"action": "fly"}), 422)
    assert_problem(client.post(url, headers={**w["liaison"], "If-Match": '"999"'},
                               json={"action": "triage"}), 409)
    resp = client.post(url, headers=w["liaison"], json={"action": "triage"})
    assert resp.status_code == 200 and resp.get_json()["state"] == "triage"
    assert resp.get_json()["history"][-1]["to_state"] == "triage"
    for role in ("expert", "manager", "admin"):
        assert_problem(client.post(url, headers=w[role], json={"action": "hold"}), 403)
    assert_problem(client.post(url, headers=w["toyooka"], json={"action": "withdraw"}), 404)
    assert_problem(client.post(url, headers=w["outsider"], json={"action": "withdraw"}), 404)
    done = client.post(f"/api/v1/requests/{other.id}/transitions", headers=w["toyooka"],
                       json={"action": "withdraw", "reason": "庁内で解決"})
    assert done.status_code == 200 and done.get_json()["state"] == "withdrawn"


def test_comments_and_internal_notes(app, client, world):
    w, own = world["w"], world["own"]
    url = f"/api/v1/requests/{own.id}/comments"
    reply = client.post(url, headers=w["sayo"], json={"body": "補足です"})
    assert reply.status_code == 201 and reply.get_json()["internal"] is False
    assert_problem(client.post(url, headers=w["sayo"], json={"body": "内部", "internal": True}), 403)
    note = client.post(url, headers=w["liaison"], json={"body": "県内部メモ", "internal": True})
    assert note.status_code == 201
    assert client.post(url, headers=w["expert"], json={"body": "専門家の回答"}).status_code == 201
    assert client.post(url, headers=w["expert"], json={"body": "専門家メモ",
                                                       "internal": True}).status_code == 201
    for role in ("toyooka", "outsider"):
        assert_problem(client.post(url, headers=w[role], json={"body": "越境"}), 404)
    for role in ("manager", "admin"):
        assert_problem(client.post(url, headers=w[role], json={"body": "x"}), 403)
    body = assert_problem(client.post(url, headers=w["sayo"], json={"body": ""}), 422)
    assert body["errors"][0]["field"] == "body"
    staff_view = client.get(f"/api/v1/requests/{own.id}", headers=w["sayo"]).get_json()
    assert [c["body"] for c in staff_view["conversation"]] == ["補足です", "専門家の回答"]
    manager_view = client.get(f"/api/v1/requests/{own.id}", headers=w["manager"]).get_json()
    assert "県内部メモ" in [c["body"] for c in manager_view["conversation"]]
    # The other municipality cannot read the conversation either.
    assert_problem(client.get(f"/api/v1/requests/{own.id}", headers=w["toyooka"]), 404)


def test_attachments_upload_and_download(app, client, world):
    import io

    w, own = world["w"], world["own"]
    url = f"/api/v1/requests/{own.id}/attachments"

    def upload(role, name="議事録.pdf", data=PDF, **form):
        return client.post(url, headers=w[role], content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), name), **form})

    resp = upload("sayo")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    att = resp.get_json()[0]
    assert att["filename"] == "議事録.pdf" and att["content_type"] == "application/pdf"
    body = assert_problem(upload("sayo", "virus.exe", b"MZ"), 422)
    assert body["errors"][0]["field"] == "file"
    body = assert_problem(upload("sayo", "偽物.pdf", b"not a pdf"), 422)
    assert body["errors"][0]["field"] == "file"
    assert_problem(client.post(url, headers=w["sayo"], content_type="multipart/form-data",
                               data={}), 422)
    assert_problem(upload("sayo", internal="1"), 403)
    internal = upload("liaison", "内部資料.pdf", internal="1")
    assert internal.status_code == 201 and internal.get_json()[0]["internal"] is True
    assert upload("expert").status_code == 201
    for role in ("toyooka", "outsider"):
        assert_problem(upload(role), 404)
    for role in ("manager", "admin"):
        assert_problem(upload(role), 403)
    assert_problem(client.post(url, headers=bearer(world["sayo"]),
                               content_type="multipart/form-data",
                               data={"file": (io.BytesIO(PDF), "a.pdf")}), 403)
    # Download with the UI's permission checks.
    dl = f"{url}/{att['id']}"
    for role in ("sayo", "liaison", "expert", "manager", "admin"):
        with client.get(dl, headers=w[role]) as got:
            assert got.status_code == 200 and got.data == PDF, role
            assert got.headers["X-Content-Type-Options"] == "nosniff"
    for role in ("toyooka", "outsider"):
        assert_problem(client.get(dl, headers=w[role]), 404)
    secret = f"{url}/{internal.get_json()[0]['id']}"
    assert_problem(client.get(secret, headers=w["sayo"]), 404)
    with client.get(secret, headers=w["manager"]) as got:
        assert got.status_code == 200
    # An attachment id under another request's URL is not found.
    assert_problem(client.get(f"/api/v1/requests/{world['other'].id}/attachments/{att['id']}",
                              headers=w["admin"]), 404)
    listed = client.get(f"/api/v1/requests/{own.id}", headers=w["sayo"]).get_json()["attachments"]
    assert [a["filename"] for a in listed] == ["議事録.pdf", "議事録.pdf"]


def test_monthly_report_scoping(app, client, world):
    ym = utcnow().strftime("%Y-%m")
    url = f"/api/v1/reports/monthly/{ym}"
    everything = client.get(url, headers=bearer(world["manager"]))
    assert everything.status_code == 200
    assert everything.get_json()["scope_region_ids"] is None
    assert client.get(url, headers=bearer(world["admin"])).get_json()["scope_region_ids"] is None
    mine = client.get(url, headers=bearer(world["liaison"])).get_json()
    assert mine["scope_region_ids"] == sorted(world["liaison"].region_ids)
    assert mine["period"] == everything.get_json()["period"]
    for role in ("sayo", "toyooka", "expert"):
        assert_problem(client.get(url, headers=bearer(world[role])), 404)
    assert_problem(client.get("/api/v1/reports/monthly/2024-13", headers=bearer(world["manager"])),
                   404)


def test_write_token_expiry_and_revocation(app, client):
    staff = make_staff()
    payload = {"kind": "consultation", "title": "x"}
    token, clear = create_token(staff, name="form", scope="write", days=1)
    db.session.commit()
    headers = {"Authorization": f"Bearer {clear}"}
    assert client.post("/api/v1/requests", headers=headers, json=payload).status_code == 201
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_problem(client.post("/api/v1/requests", headers=headers, json=payload), 401)
    token2, clear2 = create_token(staff, name="form2", scope="write", days=1)
    revoke_token(token2, staff)
    db.session.commit()
    assert_problem(client.post("/api/v1/requests", json=payload,
                               headers={"Authorization": f"Bearer {clear2}"}), 401)


def test_rate_limit_applies_to_writes(make_app):
    app = make_app(API_RATE_LIMIT="2 per minute")
    with app.app_context():
        headers = bearer(make_staff(), "write")
        client = app.test_client()
        for _ in range(2):
            assert client.post("/api/v1/requests", headers=headers,
                               json={"kind": "consultation", "title": "x"}).status_code == 201
        resp = client.post("/api/v1/requests", headers=headers,
                           json={"kind": "consultation", "title": "x"})
        assert_problem(resp, 429)
        assert int(resp.headers["Retry-After"]) > 0


def test_openapi_documents_writes(app, client):
    doc = client.get("/api/v1/openapi.json", headers=bearer(make_staff())).get_json()
    upload = doc["paths"]["/api/v1/requests/{request_id}/attachments"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    patch = doc["paths"]["/api/v1/requests/{request_id}"]["patch"]
    assert {"428", "409", "403", "422"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    create = doc["paths"]["/api/v1/requests"]["post"]
    assert "201" in create["responses"] and "ETag" in create["responses"]["201"]["headers"]
    ym = doc["paths"]["/api/v1/reports/monthly/{ym}"]["get"]["parameters"][0]
    assert ym["schema"]["pattern"]


@pytest.mark.parametrize("role,seen", [
    ("sayo", True), ("toyooka", False), ("liaison", True), ("tajima", True), ("expert", True),
    ("outsider", False), ("manager", True), ("admin", True)])
def test_read_matrix_for_every_role(app, client, world, role, seen):
    own = world["own"]
    headers = bearer(world[role])
    detail = client.get(f"/api/v1/requests/{own.id}", headers=headers)
    listed = [r["id"] for r in client.get("/api/v1/requests", headers=headers).get_json()["items"]]
    if seen:
        assert detail.status_code == 200 and detail.headers["ETag"] == f'"{own.version}"'
        assert own.id in listed
    else:
        assert_problem(detail, 404)
        assert own.id not in listed


def test_patch_can_submit_a_draft(app, client, world):
    w = world["w"]
    draft = client.post("/api/v1/requests", headers=w["sayo"],
                        json={"kind": "consultation", "title": "下書き", "body": "あとで提出"})
    etag = draft.headers["ETag"]
    resp = client.patch(f"/api/v1/requests/{draft.get_json()['id']}",
                        headers={**w["sayo"], "If-Match": etag}, json={"submit": True})
    assert resp.status_code == 200 and resp.get_json()["state"] == "submitted"
    assert resp.get_json()["number"]
    # The other municipality cannot see the draft, nor can a liaison before submission edit it
    # away from its filer (drafts are listed only for their filer).
    draft_url = f"/api/v1/requests/{draft.get_json()['id']}"
    assert_problem(client.get(draft_url, headers=w["toyooka"]), 404)
