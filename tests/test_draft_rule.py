"""Drafts are private to their filer (permissions.owns_draft): the request page, the lists, the
search and the API all ask the same rule."""
import pytest

from supportdesk.extensions import db
from supportdesk.services.requests.filing import create_request
from tests.factories import make_liaison, make_staff, make_user
from tests.test_api import bearer


@pytest.fixture
def world(app):
    filer = make_staff("佐用町", email="filer@town.sayo.example.jp")
    colleague = make_staff("佐用町", info_dept=True, email="joho@town.sayo.example.jp")
    liaison = make_liaison("西播磨")
    manager = make_user("manager")
    draft = create_request(filer, "consultation", title="まだ下書きの相談", body="検討中")
    db.session.commit()
    return dict(filer=filer, colleague=colleague, liaison=liaison, manager=manager, draft=draft)


@pytest.mark.parametrize("who", ["colleague", "liaison", "manager"])
def test_nobody_but_the_filer_sees_a_draft(world, client, login_as, who):
    draft, user = world["draft"], world[who]
    login_as(user)
    assert client.get(f"/requests/{draft.id}").status_code == 404
    headers = bearer(user)
    assert client.get(f"/api/v1/requests/{draft.id}", headers=headers).status_code == 404
    listed = client.get("/api/v1/requests", headers=headers, query_string={"state": "draft"})
    assert draft.id not in {r["id"] for r in listed.get_json()["items"]}
    searched = client.get("/api/v1/requests", headers=headers, query_string={"q": "下書き"})
    assert draft.id not in {r["id"] for r in searched.get_json()["items"]}


def test_the_filer_sees_their_draft_everywhere(world, client, login_as):
    draft, filer = world["draft"], world["filer"]
    login_as(filer)
    assert client.get(f"/requests/{draft.id}").status_code == 200
    headers = bearer(filer)
    assert client.get(f"/api/v1/requests/{draft.id}", headers=headers).status_code == 200
    listed = client.get("/api/v1/requests", headers=headers, query_string={"state": "draft"})
    assert draft.id in {r["id"] for r in listed.get_json()["items"]}
    # Without state=draft, lists are of submitted requests.
    listed = client.get("/api/v1/requests", headers=headers)
    assert draft.id not in {r["id"] for r in listed.get_json()["items"]}


def test_a_list_without_drafts_leaves_out_even_the_filers_own(world):
    """scope_requests(drafts=False), for lists that show no drafts (the queue): no draft at all,
    and otherwise the same requests as the full rule."""
    import sqlalchemy as sa

    from supportdesk import permissions
    from supportdesk.models import SupportRequest
    from tests.factories import make_request

    filed = make_request(title="提出済み", filer=world["filer"])
    base = sa.select(SupportRequest.id)
    for who in ("filer", "colleague", "liaison", "manager"):
        user = world[who]
        full = set(db.session.scalars(permissions.scope_requests(base, user)))
        without = set(db.session.scalars(permissions.scope_requests(base, user, drafts=False)))
        assert without == full - {world["draft"].id}, who
        assert filed.id in without, who
    assert world["draft"].id in set(db.session.scalars(
        permissions.scope_requests(base, world["filer"])))
