"""Expert assignment: the ranked suggestions, assign / accept / decline, events and access."""
import logging

import pytest
import sqlalchemy as sa

from supportdesk import permissions
from supportdesk.extensions import db
from supportdesk.models import ExpertAssignment, RequestEvent, User
from supportdesk.services import ValidationFailed
from supportdesk.services.requests.experts import (Reason, ReasonKind, assign_experts,
                                                  respond_assignment, suggest_experts)
from supportdesk.services.requests.transitions import apply_action
from tests.factories import advance_request, make_expert, make_liaison, make_request, make_staff


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith("BEGIN"):
            self.count += 1

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self)


def _load(expert, n, liaison, closed=False):
    for _ in range(n):
        sreq = make_request(municipality_name="豊岡市")
        advance_request(sreq, "triage", liaison)
        assign_experts(sreq, [expert], liaison)
        if closed:
            apply_action(sreq, "answer", liaison)
            apply_action(sreq, "close", liaison)
    db.session.commit()


def test_suggestions_rank_theme_fit_then_region_then_load(app):
    liaison = make_liaison("西播磨", "但馬")
    sreq = make_request(municipality_name="佐用町", themes=("generative_ai", "security"))
    both = make_expert(themes=("generative_ai", "security"), home_region="但馬", name="Z 両方")
    near = make_expert(themes=("generative_ai",), home_region="西播磨", name="Y 近い")
    far_idle = make_expert(themes=("generative_ai",), home_region="但馬", name="X 遠い暇")
    far_busy = make_expert(themes=("generative_ai",), home_region="但馬", name="A 遠い忙しい")
    no_theme = make_expert(themes=("mynumber",), home_region="西播磨", name="B テーマ外")
    _load(both, 2, liaison)
    _load(far_busy, 1, liaison)
    # Work that no longer counts: a closed request and a declined assignment.
    _load(far_idle, 1, liaison, closed=True)
    old = make_request(municipality_name="豊岡市")
    advance_request(old, "triage", liaison)
    (declined,) = assign_experts(old, [far_idle], liaison)
    respond_assignment(declined, far_idle, accept=False, reason="日程が合わない")
    db.session.commit()
    assert sreq.region_id  # load the request itself before counting

    with QueryCounter() as counter:
        suggestions = suggest_experts(sreq)
    assert counter.count <= 2  # the ranking, then the matched theme names
    ranked = [s.expert.id for s in suggestions]
    assert ranked == [both.id, near.id, far_idle.id, far_busy.id, no_theme.id]
    first = suggestions[0]
    assert (first.theme_fit, first.same_region, first.open_load) == (2, False, 2)
    assert suggestions[2].open_load == 0  # closed and declined work is not load
    assert (first.reasons[0].kind, first.reasons[0].n) == (ReasonKind.THEME, 2)
    assert "生成AIの活用" in first.reasons[0].names
    assert Reason(ReasonKind.SAME_REGION) in suggestions[1].reasons


def test_ties_break_by_name_and_assigned_or_unavailable_experts_are_left_out(app):
    liaison = make_liaison("西播磨")
    sreq = make_request(municipality_name="佐用町", themes=("ai_rpa",))
    b = make_expert(themes=("ai_rpa",), name="いとう")
    a = make_expert(themes=("ai_rpa",), name="あべ")
    off = make_expert(themes=("ai_rpa",), name="うえだ")
    off.expert_profile.available = False
    on_it = make_expert(themes=("ai_rpa",), name="えのもと")
    db.session.commit()
    advance_request(sreq, "triage", liaison)
    assign_experts(sreq, [on_it], liaison)
    ids = [s.expert.id for s in suggest_experts(sreq)]
    assert ids == [a.id, b.id]
    assert off.id not in ids and on_it.id not in ids


def test_assign_accept_decline_write_events_notify_and_change_access(app, client, login_as,
                                                                      caplog):
    caplog.set_level(logging.INFO, logger="supportdesk.notifications")
    liaison = make_liaison("西播磨")
    expert = make_expert(themes=("generative_ai",))
    other = make_expert(themes=("generative_ai",))
    sreq = make_request(municipality_name="佐用町", themes=("generative_ai",))
    advance_request(sreq, "triage", liaison)
    assert not permissions.can(expert, "view", sreq)

    login_as(liaison)
    resp = client.post(f"/requests/{sreq.id}/experts",
                       data={"expert_ids": [expert.id, other.id], "note": "講師候補"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/requests/{sreq.id}")
    rows = db.session.scalars(sa.select(ExpertAssignment).where(
        ExpertAssignment.request_id == sreq.id)).all()
    assert {(r.expert_id, r.status) for r in rows} == {(expert.id, "proposed"),
                                                        (other.id, "proposed")}
    assert "notify expert.assigned" in caplog.text
    assert permissions.can(expert, "view", sreq)

    login_as(expert)
    page = client.get("/experts/assignments")
    assert page.status_code == 200 and sreq.title in page.get_data(as_text=True)
    mine = next(r for r in rows if r.expert_id == expert.id)
    resp = client.post(f"/experts/assignments/{mine.id}",
                       data={f"a{mine.id}-decision": "accept"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExpertAssignment, mine.id).status == "accepted"

    # Declining needs a reason: the message stands next to the field and nothing changes.
    theirs = next(r for r in rows if r.expert_id == other.id)
    login_as(other)
    resp = client.post(f"/experts/assignments/{theirs.id}",
                       data={f"a{theirs.id}-decision": "decline", f"a{theirs.id}-reason": "  "})
    assert resp.status_code == 400
    assert "辞退の理由を入力してください。" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ExpertAssignment, theirs.id).status == "proposed"
    resp = client.post(f"/experts/assignments/{theirs.id}",
                       data={f"a{theirs.id}-decision": "decline",
                             f"a{theirs.id}-reason": "同時期に別の派遣があるため"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExpertAssignment, theirs.id).status == "declined"
    assert not permissions.can(other, "view", sreq)  # a declined expert loses access
    assert sreq.title not in client.get("/experts/assignments").get_data(as_text=True)
    assert "notify expert.accepted" in caplog.text and "notify expert.declined" in caplog.text

    events = db.session.scalars(sa.select(RequestEvent).where(
        RequestEvent.request_id == sreq.id, RequestEvent.kind == "expert")
        .order_by(RequestEvent.id)).all()
    assert [e.action for e in events] == ["assign", "assign", "accept", "decline"]
    assert events[-1].note == "同時期に別の派遣があるため"
    assert events[-1].actor_id == other.id


def test_only_liaisons_assign_and_only_the_expert_responds(app, client, login_as):
    liaison = make_liaison("西播磨")
    expert = make_expert()
    intruder = make_expert()
    sreq = make_request(municipality_name="佐用町")
    staff = db.session.get(User, sreq.filer_id)
    login_as(staff)
    assert client.post(f"/requests/{sreq.id}/experts",
                       data={"expert_ids": [expert.id]}).status_code == 404
    (a,) = assign_experts(sreq, [expert], liaison)
    db.session.commit()
    login_as(intruder)
    assert client.post(f"/experts/assignments/{a.id}",
                       data={f"a{a.id}-decision": "accept"}).status_code == 404
    with app.test_request_context(), pytest.raises(ValidationFailed) as exc:
        respond_assignment(a, expert, accept=False, reason="")
    assert exc.value.field == "reason"


def test_expert_home_is_my_assignments_with_a_nav_entry(app, client, login_as):
    expert = make_expert()
    login_as(expert)
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/experts/assignments")
    assert "担当依頼" in client.get("/experts/assignments").get_data(as_text=True)
    staff = make_staff()
    login_as(staff)
    assert client.get("/experts/assignments").status_code == 403


def test_experts_partial_shows_ranked_reasons_to_liaisons_and_hides_declines_from_staff(app):
    from flask import render_template
    from flask_login import login_user

    liaison = make_liaison("西播磨")
    near = make_expert(themes=("generative_ai",), home_region="西播磨", name="近くの専門家")
    gone = make_expert(themes=("generative_ai",), name="辞退した専門家")
    sreq = make_request(municipality_name="佐用町", themes=("generative_ai",))
    advance_request(sreq, "triage", liaison)
    (a,) = assign_experts(sreq, [gone], liaison)
    respond_assignment(a, gone, accept=False, reason="日程の都合")
    db.session.commit()
    staff = db.session.get(User, sreq.filer_id)
    with app.test_request_context():
        login_user(liaison)
        html = render_template("requests/_experts.html", sreq=sreq)
        assert "近くの専門家" in html and "テーマ一致 1件(生成AIの活用)" in html
        assert "同じ圏域" in html and "対応中 0件" in html
        assert "日程の都合" in html
        login_user(staff)
        html = render_template("requests/_experts.html", sreq=sreq)
        assert "辞退した専門家" not in html and "日程の都合" not in html
        assert "おすすめの人材" not in html


def test_liaison_removes_an_expert_and_finished_requests_take_no_experts(app, client, login_as):
    liaison = make_liaison("西播磨")
    expert = make_expert()
    sreq = make_request(municipality_name="佐用町")
    advance_request(sreq, "triage", liaison)
    (a,) = assign_experts(sreq, [expert], liaison)
    db.session.commit()
    login_as(liaison)
    resp = client.post(f"/requests/{sreq.id}/experts/{a.id}/remove")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExpertAssignment, a.id).status == "removed"
    assert not permissions.can(expert, "view", sreq)
    last = db.session.scalar(sa.select(RequestEvent).order_by(RequestEvent.id.desc()))
    assert (last.kind, last.action) == ("expert", "remove")
    # Asking again reuses the row; a closed request takes no experts.
    assign_experts(sreq, [expert], liaison)
    db.session.commit()
    assert db.session.get(ExpertAssignment, a.id).status == "proposed"
    closed = make_request(municipality_name="佐用町")
    advance_request(closed, "closed", liaison)
    with app.test_request_context(), pytest.raises(ValidationFailed):
        assign_experts(closed, [expert], liaison)
