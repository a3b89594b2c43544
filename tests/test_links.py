"""Related requests: links, duplicates that keep both histories, and no leaks across municipalities."""
import pytest
import sqlalchemy as sa
from flask import render_template
from flask_login import login_user

from supportdesk.extensions import db
from supportdesk.models import RequestEvent, RequestLink, User
from supportdesk.services import ValidationFailed
from supportdesk.services.requests.links import link_requests, mark_duplicate, visible_links
from tests.factories import advance_request, make_liaison, make_request, make_staff


def _events(sreq):
    return db.session.scalars(sa.select(RequestEvent).where(RequestEvent.request_id == sreq.id)
                              .order_by(RequestEvent.id)).all()


def test_link_related_and_follow_up_write_events_on_both_sides(app):
    liaison = make_liaison("西播磨")
    a = make_request(municipality_name="佐用町")
    b = make_request(municipality_name="佐用町")
    link_requests(a, b, "related", liaison)
    link_requests(b, a, "related", liaison)  # the same pair the other way round: no new link
    link_requests(a, b, "follow_up", liaison)
    db.session.commit()
    links = db.session.scalars(sa.select(RequestLink)).all()
    assert sorted(link.kind for link in links) == ["follow_up", "related"]
    assert [e.action for e in _events(a) if e.kind == "link"] == ["link_related", "link_follow_up"]
    assert [e.data["other_number"] for e in _events(b) if e.kind == "link"] == [a.number, a.number]
    with app.test_request_context(), pytest.raises(ValidationFailed):
        link_requests(a, a, "related", liaison)


def test_mark_duplicate_declines_keeps_both_histories_and_links(app):
    liaison = make_liaison("西播磨")
    original = make_request(municipality_name="佐用町", title="トップマネジメント講座")
    dup = make_request(municipality_name="佐用町", title="トップマネジメント講座(再送)")
    advance_request(original, "triage", liaison)
    before_original = len(_events(original))
    before_dup = [e.kind for e in _events(dup)]
    mark_duplicate(dup, original, liaison)
    db.session.commit()
    assert dup.state == "declined" and dup.duplicate_of_id == original.id
    assert dup.decline_reason.startswith("重複") and original.number in dup.decline_reason
    link = db.session.scalar(sa.select(RequestLink))
    assert (link.from_id, link.to_id, link.kind) == (dup.id, original.id, "duplicate")
    dup_events = _events(dup)
    assert [e.kind for e in dup_events] == before_dup + ["link", "state"]  # link, decline
    assert dup_events[-1].to_state == "declined" and dup_events[-1].note.startswith("重複")
    assert len(_events(original)) == before_original + 1  # its own history plus the link
    assert original.state == "triage"


def test_mark_duplicate_closes_where_the_state_machine_allows_and_refuses_scheduled(app):
    liaison = make_liaison("西播磨")
    original = make_request(municipality_name="佐用町")
    answered = make_request(municipality_name="佐用町")
    advance_request(answered, "answered", liaison)
    mark_duplicate(answered, original, liaison)
    db.session.commit()
    assert answered.state == "closed"
    scheduled = make_request(municipality_name="佐用町", kind="lecture")
    advance_request(scheduled, "scheduled", liaison)
    with app.test_request_context(), pytest.raises(ValidationFailed):
        mark_duplicate(scheduled, original, liaison)
    db.session.rollback()
    assert scheduled.state == "scheduled" and scheduled.duplicate_of_id is None


def test_links_never_show_another_municipalitys_request_to_staff(app):
    liaison = make_liaison("西播磨", "但馬")
    sayo_staff = make_staff("佐用町")
    mine = make_request(municipality_name="佐用町", filer=sayo_staff, title="佐用の相談")
    theirs = make_request(municipality_name="豊岡市", title="豊岡だけの相談")
    link_requests(mine, theirs, "related", liaison)
    db.session.commit()
    assert visible_links(mine, sayo_staff) == []
    assert [x["other"].id for x in visible_links(mine, liaison)] == [theirs.id]
    # The link event on the staff's own request is internal: it names the other request.
    assert all(e.internal for e in _events(mine) if e.kind == "link")
    with app.test_request_context():
        login_user(sayo_staff)
        html = render_template("requests/_links.html", sreq=mine)
        assert "豊岡だけの相談" not in html and theirs.number not in html
        assert "リンクする" not in html  # staff cannot link
        login_user(liaison)
        html = render_template("requests/_links.html", sreq=mine)
        assert "豊岡だけの相談" in html and "リンクする" in html


def test_link_endpoint_is_for_liaisons_and_redirects_to_the_request(app, client, login_as):
    liaison = make_liaison("西播磨")
    a = make_request(municipality_name="佐用町")
    b = make_request(municipality_name="佐用町")
    staff = db.session.get(User, a.filer_id)
    login_as(staff)
    assert client.post(f"/requests/{a.id}/links",
                       data={"kind": "related", "target": b.number}).status_code == 404
    login_as(liaison)
    resp = client.post(f"/requests/{a.id}/links", data={"kind": "related", "target": b.number})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/requests/{a.id}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestLink)) == 1
    resp = client.post(f"/requests/{a.id}/links", data={"kind": "duplicate", "target": "R9-9999"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert a.state == "submitted"  # unknown target: refused, nothing changed
    client.post(f"/requests/{a.id}/links", data={"kind": "duplicate", "target": b.number})
    db.session.expire_all()
    assert a.state == "declined" and a.duplicate_of_id == b.id
