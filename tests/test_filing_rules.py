"""Filing rules with one owner each (services/request_filing.py), driven through the pages and
the API so the two cannot disagree: which requests may be the parent of an accompaniment
(may_be_parent), which municipality staff file for (filing_municipality_for), and who may file
push-type requests (may_push)."""
import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import SupportRequest
from tests.factories import make_liaison, make_request, make_staff
from tests.test_api import bearer


@pytest.fixture
def world(app):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    lecture = make_request(municipality_name="佐用町", filer=staff, kind="lecture", title="講座(実施済)")
    follow = make_request(municipality_name="佐用町", filer=staff, kind="accompaniment",
                          title="伴走(実施済)")
    for sreq in (lecture, follow):
        sreq.state = "delivered"
    db.session.commit()
    return dict(staff=staff, liaison=liaison, lecture=lecture, follow=follow)


def test_an_accompaniment_is_never_the_parent_of_another_through_the_api(world, client):
    headers = bearer(world["staff"], "write")
    bad = client.post("/api/v1/requests", headers=headers, json={
        "kind": "accompaniment", "title": "伴走の伴走", "body": "x",
        "parent_id": world["follow"].id})
    assert bad.status_code == 422, bad.get_data(as_text=True)
    assert bad.get_json()["errors"][0]["field"] == "parent_id"
    ok = client.post("/api/v1/requests", headers=headers, json={
        "kind": "accompaniment", "title": "講座の後の伴走", "body": "x",
        "parent_id": world["lecture"].id})
    assert ok.status_code == 201, ok.get_data(as_text=True)


def test_an_accompaniment_is_never_the_parent_of_another_through_the_pages(world, client,
                                                                           login_as):
    login_as(world["staff"])
    form = client.get("/requests/new/accompaniment").get_data(as_text=True)
    assert "講座(実施済)" in form and "伴走(実施済)" not in form
    resp = client.post("/requests/new/accompaniment", data={
        "title": "伴走の伴走", "body": "x", "parent_id": str(world["follow"].id)})
    assert resp.status_code == 200  # the form again, nothing filed
    assert not db.session.scalar(sa.select(SupportRequest.id).where(
        SupportRequest.title == "伴走の伴走"))
    # The request page offers 「伴走支援を申し込む」 exactly where the rule allows it.
    assert "伴走支援を申し込む" in client.get(f"/requests/{world['lecture'].id}").get_data(
        as_text=True)
    assert "伴走支援を申し込む" not in client.get(f"/requests/{world['follow'].id}").get_data(
        as_text=True)


def test_only_liaisons_file_push_type_requests(world, client, login_as):
    resp = client.post("/api/v1/requests", headers=bearer(world["staff"], "write"), json={
        "kind": "lecture", "title": "プッシュ型?", "origin": "push", "program": "kaizen"})
    assert resp.status_code == 422, resp.get_data(as_text=True)  # refused, not downgraded
    assert resp.get_json()["errors"][0]["field"] == "origin"
    ok = client.post("/api/v1/requests", headers=bearer(world["liaison"], "write"), json={
        "kind": "lecture", "title": "プッシュ型講座", "origin": "push", "program": "kaizen",
        "municipality_code": "28501"})
    assert ok.status_code == 201 and ok.get_json()["origin"] == "push"
    login_as(world["staff"])
    assert "origin_push" not in client.get("/requests/new/lecture").get_data(as_text=True)
    login_as(world["liaison"])
    assert "origin_push" in client.get("/requests/new/lecture").get_data(as_text=True)


def test_staff_file_for_their_own_municipality_only(world, client, login_as):
    resp = client.post("/api/v1/requests", headers=bearer(world["staff"], "write"), json={
        "kind": "consultation", "title": "他市町として", "municipality_code": "28209"})
    assert resp.status_code == 404
    login_as(world["staff"])
    form = client.get("/requests/new/consultation").get_data(as_text=True)
    assert 'name="municipality_id"' not in form
    resp = client.post("/requests/new/consultation", data={
        "title": "自分の町の相談", "body": "x", "help_wanted": ["advice"],
        "municipality_id": "99"})
    sreq = db.session.scalar(sa.select(SupportRequest).where(
        SupportRequest.title == "自分の町の相談"))
    assert resp.status_code == 302 and sreq.municipality_id == world["staff"].municipality_id
