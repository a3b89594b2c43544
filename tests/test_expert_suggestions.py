"""Expert suggestions rank on continuity (issue 13.2): an expert who worked on the request's parent
or with this municipality ranks higher, and each suggestion says why, in words."""
from datetime import datetime, timedelta


from supportdesk.extensions import db
from supportdesk.services.requests.experts import ReasonKind, assign_experts, respond_assignment, \
    suggest_experts
from supportdesk.services.requests.transitions import apply_action
from supportdesk.services.visits.lifecycle import confirm_visit, create_visit, record_visit
from supportdesk.timeutil import JST
from tests.factories import (advance_request, make_expert, make_liaison, make_request,
                             municipality, theme)
from tests.test_experts import QueryCounter

NOW = datetime(2030, 10, 1, 10, 0, tzinfo=JST)


def worked_on(sreq, expert, liaison):
    """`expert` accepted on `sreq`, which is then answered and closed (no open load left)."""
    advance_request(sreq, "triage", liaison)
    (a,) = assign_experts(sreq, [expert], liaison)
    respond_assignment(a, expert, accept=True)
    apply_action(sreq, "answer", liaison)
    apply_action(sreq, "close", liaison)
    db.session.commit()


def world():
    liaison = make_liaison("西播磨")
    lecturer = make_expert(themes=("mynumber",), home_region="但馬", name="C 前回の講師")
    known = make_expert(themes=("ai_rpa",), home_region="西播磨", name="B 佐用町の経験者")
    fresh = make_expert(themes=("ai_rpa",), home_region="西播磨", name="A 初めて")
    elsewhere = make_expert(themes=("ai_rpa",), home_region="西播磨", name="D 他市町の経験者")
    # The parent: a lecture in 佐用町 the lecturer gave (a held visit it attended).
    parent = make_request(state="scheduled", kind="lecture", title="RPA講座")
    start = NOW - timedelta(days=10)
    v = create_visit(liaison, kind="lecture", title="RPA講座 当日", starts_at=start,
                     ends_at=start + timedelta(hours=2), municipalities=[municipality("佐用町")],
                     attendees=[lecturer], sreq=parent, now=start - timedelta(days=7))
    confirm_visit(v, liaison, now=start - timedelta(days=7))
    record_visit(v, liaison, covered="RPAの基礎", now=start + timedelta(hours=3))
    db.session.commit()
    assert parent.state == "delivered"
    worked_on(make_request(municipality_name="佐用町"), known, liaison)
    worked_on(make_request(municipality_name="豊岡市"), elsewhere, liaison)
    sreq = make_request(parent.filer, "accompaniment", title="RPA導入の伴走", now=NOW,
                        parent_id=parent.id, theme_ids=[theme("ai_rpa").id])
    advance_request(sreq, "triage", liaison)
    return dict(liaison=liaison, lecturer=lecturer, known=known, fresh=fresh,
                elsewhere=elsewhere, sreq=sreq)


def test_continuity_ranks_higher_and_reasons_are_structured(app):
    w = world()
    sreq = w["sreq"]
    assert sreq.parent_id and sreq.region_id
    with QueryCounter() as counter:
        suggestions = suggest_experts(sreq)
    assert counter.count <= 2  # still one ranking query, then the matched theme names
    ranked = [s.expert.id for s in suggestions]
    assert ranked == [w["lecturer"].id, w["known"].id, w["fresh"].id, w["elsewhere"].id]
    lecturer, known, fresh, elsewhere = suggestions
    assert lecturer.on_parent and lecturer.theme_fit == 0
    assert (known.municipality_work, fresh.municipality_work, elsewhere.municipality_work) \
        == (1, 0, 0)
    # The lecturer's held visit was on a 佐用町 request (the parent): it counts here too.
    assert lecturer.municipality_work == 1
    assert [(r.kind, r.n) for r in lecturer.reasons] == [
        (ReasonKind.PARENT, None), (ReasonKind.NO_THEME, None), (ReasonKind.MUNICIPALITY, 1),
        (ReasonKind.OTHER_REGION, None), (ReasonKind.LOAD, 0)]
    assert [(r.kind, r.n) for r in known.reasons] == [
        (ReasonKind.THEME, 1), (ReasonKind.MUNICIPALITY, 1), (ReasonKind.SAME_REGION, None),
        (ReasonKind.LOAD, 0)]
    assert known.reasons[0].names == ("AI・RPAの活用",) or known.reasons[0].names


def test_declined_or_removed_work_is_no_continuity(app):
    w = world()
    other = make_request(municipality_name="佐用町")
    advance_request(other, "triage", w["liaison"])
    (a,) = assign_experts(other, [w["fresh"]], w["liaison"])
    respond_assignment(a, w["fresh"], accept=False, reason="日程が合わない")
    db.session.commit()
    fresh = next(s for s in suggest_experts(w["sreq"]) if s.expert.id == w["fresh"].id)
    assert fresh.municipality_work == 0 and not fresh.on_parent


def test_request_page_says_why_in_words(app, client, login_as):
    w = world()
    login_as(w["liaison"])
    html = client.get(f"/requests/{w['sreq'].id}").get_data(as_text=True)
    panel = html.split('data-testid="suggestions"')[1].split("</ol>")[0]
    names = ["C 前回の講師", "B 佐用町の経験者", "A 初めて", "D 他市町の経験者"]
    assert [panel.index(n) for n in names] == sorted(panel.index(n) for n in names)
    lecturer = panel.split("C 前回の講師")[1].split("</li>")[0]
    assert "元の依頼を担当" in lecturer and "この市町の支援実績 1件" in lecturer
    assert "テーマ一致なし" in lecturer and "他の圏域" in lecturer and "対応中 0件" in lecturer
    known = panel.split("B 佐用町の経験者")[1].split("</li>")[0]
    assert "テーマ一致 1件" in known and "同じ圏域" in known and "この市町の支援実績 1件" in known
    assert "元の依頼を担当" not in known
    fresh = panel.split("A 初めて")[1].split("</li>")[0]
    assert "この市町の支援実績 0件" in fresh


def test_reasons_in_english(app, client, login_as):
    w = world()
    w["liaison"].locale = "en"
    db.session.commit()
    login_as(w["liaison"])
    html = client.get(f"/requests/{w['sreq'].id}",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    panel = html.split('data-testid="suggestions"')[1].split("</ol>")[0]
    assert "元の依頼を担当" not in panel and "この市町の支援実績" not in panel
    assert "parent request" in panel.lower()
