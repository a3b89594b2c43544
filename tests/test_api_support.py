"""/api/v1/requests/{id}/support-actions and /expert-suggestions: the support given on a request
(read by everyone who sees the request, recorded by liaisons) and the ranked suggestions
(liaisons who may assign); other municipalities get 404, other roles 403."""
import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Case, RequestEvent, SupportAction
from supportdesk.services.requests.experts import assign_experts
from tests.factories import make_expert, make_liaison, make_request, make_staff, make_user
from tests.test_api import assert_problem, bearer


@pytest.fixture
def world(app):
    liaison, staff = make_liaison(), make_staff("佐用町")
    sreq = make_request(staff, themes=("kaizen_nocode",))
    assigned = make_expert(themes=("kaizen_nocode",))
    fit = make_expert(themes=("kaizen_nocode",), home_region="西播磨")
    other = make_expert(home_region="但馬")
    db.session.commit()
    assign_experts(sreq, [assigned], liaison)
    db.session.commit()
    return dict(liaison=liaison, staff=staff, other_staff=make_staff("豊岡市"), assigned=assigned,
                fit=fit, other=other, manager=make_user("manager"), sreq=sreq.id)


def url(world, tail):
    return f"/api/v1/requests/{world['sreq']}/{tail}"


def test_liaison_records_support_everyone_on_the_request_reads_it(client, world):
    case_id = db.session.scalar(sa.select(Case.id).limit(1))
    headers = bearer(world["liaison"], "write")
    for body in ({"kind": "advice", "note": "手順を助言"},
                 {"kind": "bridge", "target_municipality_code": "28209"},
                 {"kind": "case", "case_id": case_id}):
        resp = client.post(url(world, "support-actions"), json=body, headers=headers)
        assert resp.status_code == 201, resp.get_data(as_text=True)
    kinds = db.session.scalars(sa.select(RequestEvent.data).where(
        RequestEvent.request_id == world["sreq"], RequestEvent.kind == "support")).all()
    assert [k["kind"] for k in kinds] == ["advice", "bridge", "case"]
    for role in ("liaison", "staff", "assigned", "manager"):
        items = client.get(url(world, "support-actions"), headers=bearer(world[role])).get_json()
        assert [(a["kind"], a["target_municipality_code"]) for a in items] == [
            ("advice", None), ("bridge", "28209"), ("case", None)], role
    assert_problem(client.get(url(world, "support-actions"), headers=bearer(world["other_staff"])),
                   404)
    assert_problem(client.get(url(world, "support-actions"), headers=bearer(world["other"])), 404)


def test_only_liaisons_record_support(client, world):
    body = {"kind": "advice", "note": "x"}
    for role in ("staff", "assigned", "manager"):
        assert_problem(client.post(url(world, "support-actions"), json=body,
                                   headers=bearer(world[role], "write")), 403)
    assert_problem(client.post(url(world, "support-actions"), json=body,
                               headers=bearer(world["other_staff"], "write")), 404)
    assert_problem(client.post(url(world, "support-actions"), json=body,
                               headers=bearer(world["liaison"], "read")), 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportAction)) == 0


def test_bad_support_action_names_the_field_and_records_nothing(client, world):
    headers = bearer(world["liaison"], "write")
    for body, field in (({"kind": "bridge"}, "target_department"),
                        ({"kind": "case"}, "case_id"),
                        ({"kind": "case", "case_id": 999999}, "case_id"),
                        ({"kind": "vendor"}, "vendor_name"),
                        ({"kind": "bridge", "target_municipality_code": "99999"},
                         "target_municipality_code"),
                        ({"kind": "hug"}, "kind")):
        problem = assert_problem(client.post(url(world, "support-actions"), json=body,
                                             headers=headers), 422)
        assert [e["field"] for e in problem["errors"]] == [field], body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportAction)) == 0


def test_expert_suggestions_for_liaisons(client, world):
    items = client.get(url(world, "expert-suggestions"),
                       headers=bearer(world["liaison"])).get_json()
    ids = [s["user_id"] for s in items]
    assert world["assigned"].id not in ids  # already on the request
    assert ids.index(world["fit"].id) < ids.index(world["other"].id)
    top = items[ids.index(world["fit"].id)]
    assert top["theme_fit"] == 1 and top["same_region"] is True and top["reasons"]
    for role in ("staff", "assigned", "manager"):
        assert_problem(client.get(url(world, "expert-suggestions"), headers=bearer(world[role])),
                       403)
    assert_problem(client.get(url(world, "expert-suggestions"),
                              headers=bearer(world["other_staff"])), 404)
