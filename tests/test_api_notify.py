"""/api/v1 push information (announcements) and the caller's in-app notifications."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Announcement, InAppNotification
from supportdesk.timeutil import utcnow
from tests.factories import make_expert, make_liaison, make_staff, make_user, region
from tests.notify_helpers import make_room
from tests.test_api import assert_problem, bearer


def announcement(**over):
    body = {"title": "デジタル化補助金の公募開始", "body": "申請期限は12月末です。",
            "category": "補助金・交付金", "links": ["https://www.example.go.jp/hojo"],
            "municipality_codes": ["28501"], "departments": "all"}
    body.update(over)
    return body


@pytest.fixture
def people(app):
    return dict(liaison=make_liaison("西播磨"), staff=make_staff("佐用町", info_dept=True),
                other_staff=make_staff("豊岡市", info_dept=True), expert=make_expert(),
                manager=make_user("manager"), admin=make_user("admin"))


def test_liaison_sends_and_only_the_target_municipality_receives(client, people):
    make_room(municipality_name="佐用町")
    resp = client.post("/api/v1/announcements", json=announcement(),
                       headers=bearer(people["liaison"], "write"))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    sent = resp.get_json()
    assert sent["status"] == "sent" and sent["sent_at"].endswith("+09:00")
    assert sent["targeting"]["municipality_codes"] == ["28501"]
    assert sent["delivery"] == [{"municipality_code": "28501", "chat_status": "pending",
                                 "notified_users": 1, "read_users": 0}]
    aid = sent["id"]
    # The recipient: in the archive, unread; reading it by GET does not mark it read.
    staff = bearer(people["staff"])
    listed = client.get("/api/v1/announcements", headers=staff).get_json()
    assert [a["id"] for a in listed] == [aid] and listed[0]["read"] is False
    assert listed[0]["targeting"] is None and listed[0]["delivery"] is None
    assert client.get(f"/api/v1/announcements/{aid}", headers=staff).get_json()["read"] is False
    assert client.get(f"/api/v1/announcements/{aid}", headers=staff).get_json()["read"] is False
    assert_problem(client.post(f"/api/v1/announcements/{aid}/read", headers=staff), 403)
    marked = client.post(f"/api/v1/announcements/{aid}/read",
                         headers=bearer(people["staff"], "write")).get_json()
    assert marked["read"] is True
    # Another municipality: not listed, and the announcement does not exist for it.
    other = bearer(people["other_staff"], "write")
    assert client.get("/api/v1/announcements", headers=other).get_json() == []
    assert_problem(client.get(f"/api/v1/announcements/{aid}", headers=other), 404)
    assert_problem(client.post(f"/api/v1/announcements/{aid}/read", headers=other), 404)
    # Senders see it with the delivery: one of one has read it.
    for role in ("liaison", "manager", "admin"):
        got = client.get(f"/api/v1/announcements/{aid}", headers=bearer(people[role])).get_json()
        assert got["delivery"][0]["read_users"] == 1 and got["read"] is None, role
        assert [a["id"] for a in client.get("/api/v1/announcements",
                                            headers=bearer(people[role])).get_json()] == [aid]
    # Experts have no push information at all.
    assert_problem(client.get("/api/v1/announcements", headers=bearer(people["expert"])), 403)
    assert_problem(client.get(f"/api/v1/announcements/{aid}",
                              headers=bearer(people["expert"])), 404)


def test_who_may_send(client, people):
    for role in ("staff", "expert", "manager"):
        assert_problem(client.post("/api/v1/announcements", json=announcement(),
                                   headers=bearer(people[role], "write")), 403)
    assert_problem(client.post("/api/v1/announcements", json=announcement(),
                               headers=bearer(people["liaison"], "read")), 403)
    resp = client.post("/api/v1/announcements", json=announcement(target_all=True),
                       headers=bearer(people["admin"], "write"))
    assert resp.status_code == 201 and len(resp.get_json()["delivery"]) == 41
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 1


def test_scheduled_announcement_and_targeting_like_the_ui(client, people):
    headers = bearer(people["liaison"], "write")
    west = region("西播磨")
    later = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    resp = client.post("/api/v1/announcements", json=announcement(
        municipality_codes=[], region_ids=[west.id], population_bands=["5万人未満"],
        scheduled_at=later.isoformat()), headers=headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    a = resp.get_json()
    assert a["status"] == "scheduled" and a["delivery"] == []
    assert a["targeting"]["region_ids"] == [west.id]
    assert a["targeting"]["population_bands"] == ["5万人未満"]
    # Not sent yet: the municipality sees nothing.
    staff = bearer(people["staff"])
    assert client.get("/api/v1/announcements", headers=staff).get_json() == []
    assert_problem(client.get(f"/api/v1/announcements/{a['id']}", headers=staff), 404)
    listed = client.get("/api/v1/announcements?status=scheduled",
                        headers=bearer(people["manager"])).get_json()
    assert [x["id"] for x in listed] == [a["id"]]
    assert client.get("/api/v1/announcements?status=sent",
                      headers=bearer(people["manager"])).get_json() == []


def test_announcement_validation_is_field_level(client, people):
    headers = bearer(people["liaison"], "write")
    body = assert_problem(client.post("/api/v1/announcements", json={"category": "雑談"},
                                      headers=headers), 422)
    assert {e["field"] for e in body["errors"]} == {"title", "body", "category"}
    body = assert_problem(client.post("/api/v1/announcements", json=announcement(
        municipality_codes=["99999"]), headers=headers), 422)
    assert body["errors"][0]["field"] == "municipality_codes"
    body = assert_problem(client.post("/api/v1/announcements", json=announcement(
        municipality_codes=[], region_ids=[999999]), headers=headers), 422)
    assert body["errors"][0]["field"] == "region_ids"
    body = assert_problem(client.post("/api/v1/announcements", json=announcement(
        municipality_codes=[]), headers=headers), 422)
    assert body["errors"] == [{"field": "target_all",
                               "message": "送信先の市町がありません。対象の条件を確認してください。"}]
    body = assert_problem(client.post("/api/v1/announcements", json=announcement(
        links=["javascript:alert(1)"]), headers=headers), 422)
    assert body["errors"][0]["field"] == "links"
    body = assert_problem(client.post("/api/v1/announcements", json=announcement(
        population_bands=["大きい"]), headers=headers), 422)
    assert body["errors"][0]["field"].startswith("population_bands")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 0


def bell(user, title, read=False):
    n = InAppNotification(user_id=user.id, event_type="request.reply", title=title, body="本文",
                          link="/requests/1", idempotency_key=f"t:{user.id}:{title}",
                          created_at=utcnow(), read_at=utcnow() if read else None)
    db.session.add(n)
    db.session.commit()
    return n


@pytest.mark.parametrize("role", ["staff", "liaison", "expert", "manager", "admin"])
def test_each_role_sees_only_its_own_notifications(client, people, role):
    me, someone = people[role], people["other_staff" if role != "other_staff" else "staff"]
    mine = bell(me, "自分宛て")
    theirs = bell(someone, "他人宛て")
    page = client.get("/api/v1/notifications", headers=bearer(me)).get_json()
    assert [n["id"] for n in page["items"]] == [mine.id] and page["unread_count"] == 1
    write = bearer(me, "write")
    assert_problem(client.post(f"/api/v1/notifications/{theirs.id}/read", headers=write), 404)
    assert_problem(client.post("/api/v1/notifications/999999/read", headers=write), 404)
    assert_problem(client.post(f"/api/v1/notifications/{mine.id}/read", headers=bearer(me)), 403)
    got = client.post(f"/api/v1/notifications/{mine.id}/read", headers=write).get_json()
    assert got["id"] == mine.id and got["read_at"].endswith("+09:00")
    db.session.expire_all()
    assert db.session.get(InAppNotification, theirs.id).read_at is None


def test_unread_first_read_all_and_filters(client, people):
    me = people["staff"]
    old_unread = bell(me, "古い未読")
    read = bell(me, "既読", read=True)
    new_unread = bell(me, "新しい未読")
    headers = bearer(me)
    newest = client.get("/api/v1/notifications", headers=headers).get_json()["items"]
    assert [n["id"] for n in newest] == [new_unread.id, read.id, old_unread.id]
    unread_first = client.get("/api/v1/notifications?order=unread_first",
                              headers=headers).get_json()["items"]
    assert [n["id"] for n in unread_first] == [new_unread.id, old_unread.id, read.id]
    only_unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert [n["id"] for n in only_unread["items"]] == [new_unread.id, old_unread.id]
    assert_problem(client.post("/api/v1/notifications/read-all", headers=headers), 403)
    other = bell(people["other_staff"], "他人")
    marked = client.post("/api/v1/notifications/read-all", headers=bearer(me, "write")).get_json()
    assert marked == {"marked": 2}
    page = client.get("/api/v1/notifications", headers=headers).get_json()
    assert page["unread_count"] == 0
    db.session.expire_all()
    assert db.session.get(InAppNotification, other.id).read_at is None
    body = assert_problem(client.get("/api/v1/notifications?order=oldest&limit=0",
                                     headers=headers), 422)
    assert {e["field"] for e in body["errors"]} == {"order", "limit"}
    assert_problem(client.get("/api/v1/notifications?cursor=%%%", headers=headers), 400)
    assert_problem(client.get("/api/v1/notifications?order=unread_first&cursor=MQ",
                              headers=headers), 400)


@pytest.mark.parametrize("order", ["newest", "unread_first"])
def test_cursor_pagination_survives_new_notifications(client, people, order):
    me = people["liaison"]
    created = [bell(me, f"通知{i}", read=i % 3 == 0).id for i in range(12)]
    headers = bearer(me)
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/notifications?order={order}&limit=5"
        url += f"&cursor={cursor}" if cursor else ""
        page = client.get(url, headers=headers).get_json()
        seen += [n["id"] for n in page["items"]]
        pages += 1
        bell(me, f"途中{pages}")  # a new unread one arrives between page loads
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 12 and set(seen) == set(created)


def test_openapi_document_matches_notify_behaviour(client, people):
    """Every status seen here is documented for its operation, and bodies fit the schemas."""
    from pydantic import TypeAdapter

    from supportdesk.api.core import REGISTRY

    liaison, staff = bearer(people["liaison"], "write"), bearer(people["staff"], "write")
    doc = client.get("/api/v1/openapi.json", headers=liaison).get_json()
    mine = bell(people["staff"], "自分宛て")
    calls = [
        ("POST", "/api/v1/announcements", "/api/v1/announcements", announcement(), liaison),
        ("POST", "/api/v1/announcements", "/api/v1/announcements", announcement(), staff),
        ("POST", "/api/v1/announcements", "/api/v1/announcements", {"title": ""}, liaison),
        ("GET", "/api/v1/announcements", "/api/v1/announcements", None, staff),
        ("GET", "/api/v1/announcements", "/api/v1/announcements?status=x", None, liaison),
        ("GET", "/api/v1/announcements", "/api/v1/announcements", None, bearer(people["expert"])),
        ("GET", "/api/v1/announcements/{announcement_id}", "/api/v1/announcements/{aid}", None,
         liaison),
        ("GET", "/api/v1/announcements/{announcement_id}", "/api/v1/announcements/{aid}", None,
         bearer(people["other_staff"])),
        ("POST", "/api/v1/announcements/{announcement_id}/read",
         "/api/v1/announcements/{aid}/read", None, staff),
        ("GET", "/api/v1/notifications", "/api/v1/notifications?order=unread_first", None, staff),
        ("GET", "/api/v1/notifications", "/api/v1/notifications?limit=x", None, staff),
        ("POST", "/api/v1/notifications/{notification_id}/read",
         f"/api/v1/notifications/{mine.id}/read", None, staff),
        ("POST", "/api/v1/notifications/{notification_id}/read",
         f"/api/v1/notifications/{mine.id}/read", None, liaison),
        ("POST", "/api/v1/notifications/read-all", "/api/v1/notifications/read-all", None, staff),
    ]
    aid = None
    for method, template, url, body, headers in calls:
        resp = client.open(url.format(aid=aid), method=method, json=body, headers=headers)
        aid = aid or resp.get_json()["id"]
        op = doc["paths"][template][method.lower()]
        assert str(resp.status_code) in op["responses"], (method, url, resp.status_code)
        ep = next(e for e in REGISTRY if e.path == template and e.method == method)
        if resp.status_code < 300:
            TypeAdapter(ep.response).validate_python(resp.get_json())


def test_browser_session_marks_its_own_notifications(client, people, login_as):
    mine = bell(people["staff"], "自分宛て")
    theirs = bell(people["other_staff"], "他人宛て")
    login_as(people["staff"])
    # Without the page's CSRF token a session POST is refused; with it, it works.
    assert_problem(client.post(f"/api/v1/notifications/{mine.id}/read"), 400)
    page = client.get("/notifications").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    headers = {"X-CSRFToken": token}
    assert_problem(client.post(f"/api/v1/notifications/{theirs.id}/read", headers=headers), 404)
    assert client.post(f"/api/v1/notifications/{mine.id}/read", headers=headers).get_json()[
        "read_at"]
    assert client.get("/api/v1/notifications").get_json()["unread_count"] == 0
