"""/api/v1/saved-views: a user's saved queue views for their owner only (someone else's answers
404), for the roles the queue serves (others 403), saved through the same service."""
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import SavedView
from supportdesk.services.requests.saved_views import MAX_VIEWS
from tests.factories import make_expert, make_liaison, make_staff, make_user
from tests.test_api import assert_problem, bearer


def test_owner_saves_lists_overwrites_and_deletes(client, app):
    liaison = make_liaison()
    headers = bearer(liaison, "write")
    resp = client.post("/api/v1/saved-views", json={"name": "期限超過",
                                                    "query": "state=submitted&overdue=1&after=9"},
                       headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    first = resp.get_json()
    assert first["query"] == "state=submitted&overdue=1"  # the page cursor is not kept
    again = client.post("/api/v1/saved-views", json={"name": "期限超過", "query": "state=triage"},
                        headers=headers).get_json()
    assert again["id"] == first["id"] and again["query"] == "state=triage"
    listed = client.get("/api/v1/saved-views", headers=headers).get_json()
    assert [(v["id"], v["name"]) for v in listed] == [(first["id"], "期限超過")]
    assert client.delete(f"/api/v1/saved-views/{first['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/saved-views", headers=headers).get_json() == []
    assert_problem(client.delete(f"/api/v1/saved-views/{first['id']}", headers=headers), 404)


def test_someone_elses_view_is_not_found_and_survives(client, app):
    owner, other = make_liaison(), make_user("manager")
    view_id = client.post("/api/v1/saved-views", json={"name": "自分用"},
                          headers=bearer(owner, "write")).get_json()["id"]
    assert client.get("/api/v1/saved-views", headers=bearer(other)).get_json() == []
    assert_problem(client.delete(f"/api/v1/saved-views/{view_id}",
                                 headers=bearer(other, "write")), 404)
    assert db.session.get(SavedView, view_id) is not None


def test_other_roles_and_read_tokens_are_refused(client, app):
    for user in (make_staff(), make_expert()):
        assert_problem(client.get("/api/v1/saved-views", headers=bearer(user)), 403)
        assert_problem(client.post("/api/v1/saved-views", json={"name": "x"},
                                   headers=bearer(user, "write")), 403)
    assert_problem(client.post("/api/v1/saved-views", json={"name": "x"},
                               headers=bearer(make_liaison(), "read")), 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)) == 0


def test_bad_names_and_the_limit_name_the_field(client, app):
    liaison = make_liaison()
    headers = bearer(liaison, "write")
    for body in ({"name": ""}, {"name": "x" * 61}, {"query": "a=1"}, {"name": "a", "extra": 1}):
        problem = assert_problem(client.post("/api/v1/saved-views", json=body,
                                             headers=headers), 422)
        assert problem["errors"][0]["field"] in ("name", "extra"), body
    for n in range(MAX_VIEWS):
        db.session.add(SavedView(user_id=liaison.id, name=f"v{n}", query=""))
    db.session.commit()
    problem = assert_problem(client.post("/api/v1/saved-views", json={"name": "one more"},
                                         headers=headers), 422)
    assert problem["errors"] == [{"field": "name", "message": problem["errors"][0]["message"]}]
    assert "30" in problem["errors"][0]["message"]
