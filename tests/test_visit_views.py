"""Visit pages: who sees what (404 for others), forms with Japanese errors, the clash message."""
from datetime import datetime, timedelta

from supportdesk.extensions import db
from supportdesk.models import SatisfactionResponse, Visit
from supportdesk.services.visits.lifecycle import create_visit, record_visit
from supportdesk.timeutil import JST, utcnow
from tests.factories import (make_expert, make_liaison, make_request, make_staff, make_user,
                             municipality)


def future(days, hour=10):
    d = (utcnow() + timedelta(days=days)).astimezone(JST).date()
    return datetime(d.year, d.month, d.day, hour, tzinfo=JST)


def mkvisit(liaison, *, munis=("佐用町",), experts=(), sreq=None, start=None, confirm=True,
            title="講座"):
    start = start or future(10)
    v = create_visit(liaison, kind="lecture", title=title, starts_at=start,
                     ends_at=start + timedelta(hours=2),
                     municipalities=[municipality(m) for m in munis], attendees=list(experts),
                     sreq=sreq, confirm=confirm)
    db.session.commit()
    return v


def test_visit_detail_visibility(app, client, login_as):
    liaison = make_liaison()
    expert, stranger = make_expert(), make_expert()
    v = mkvisit(liaison, experts=[expert], munis=("佐用町", "宍粟市"))
    for user, status in [(liaison, 200), (expert, 200), (stranger, 404),
                         (make_staff("佐用町"), 200), (make_staff("宍粟市"), 200),
                         (make_staff("姫路市"), 404), (make_user("manager"), 200)]:
        login_as(user)
        assert client.get(f"/visits/{v.id}").status_code == status, user.role
    login_as(liaison)
    assert client.get("/visits/99999").status_code == 404


def test_create_form_errors_are_japanese_and_keep_values(app, client, login_as):
    login_as(make_liaison())
    resp = client.post("/visits/new", data={"kind": "lecture", "title": "講座テスト",
                                            "starts_at": "", "ends_at": "2025-11-10T12:00"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "日時を入力してください" in html and "訪問先の市町を選んでください" in html
    assert 'value="講座テスト"' in html and 'value="2025-11-10T12:00"' in html
    resp = client.post("/visits/new", data={
        "kind": "lecture", "title": "逆転", "municipality_ids": [municipality("佐用町").id],
        "starts_at": "2025-11-10T12:00", "ends_at": "2025-11-10T10:00"})
    assert "終了は開始より後にしてください" in resp.get_data(as_text=True)


def test_create_and_confirm_shows_clash_next_to_the_field_and_flags_holidays(app, client,
                                                                              login_as):
    liaison = make_liaison(name="山田リエゾン")
    expert = make_expert(name="鈴木専門")
    mkvisit(liaison, experts=[expert], start=datetime(2030, 11, 4, 10, tzinfo=JST),
            title="既存講座")
    login_as(liaison)
    data = {"kind": "lecture", "title": "重複講座", "municipality_ids": [municipality("宍粟市").id],
            "starts_at": "2030-11-04T11:00", "ends_at": "2030-11-04T13:00",
            "attendee_ids": [expert.id], "confirm_now": "y"}
    html = client.post("/visits/new", data=data).get_data(as_text=True)
    assert "日程が重複しています" in html and "鈴木専門" in html and "既存講座" in html
    assert 'id="starts_at-error"' in html and 'value="重複講座"' in html
    # Saturday 2030-11-09: created, with the flag shown.
    data.update(starts_at="2030-11-09T10:00", ends_at="2030-11-09T12:00")
    resp = client.post("/visits/new", data=data, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "訪問を確定しました" in html and "2030-11-09(土)は土曜日です" in html


def test_confirm_cancel_postpone_through_the_pages(app, client, login_as):
    liaison = make_liaison()
    sreq = make_request(kind="lecture", state="triage")
    v = mkvisit(liaison, sreq=sreq, confirm=False)
    login_as(liaison)
    client.post(f"/visits/{v.id}/confirm")
    db.session.expire_all()
    assert db.session.get(Visit, v.id).state == "confirmed" and sreq.state == "scheduled"
    resp = client.post(f"/visits/{v.id}/postpone", data={"starts_at": "2031-01-06T10:00",
                                                        "ends_at": "2031-01-06T12:00"})
    assert resp.status_code == 302
    db.session.expire_all()
    old = db.session.get(Visit, v.id)
    assert old.state == "postponed" and old.postponed_to.state == "confirmed"
    new_id = old.postponed_to_id
    html = client.post(f"/visits/{new_id}/cancel", data={"reason": ""}).get_data(as_text=True)
    assert "中止の理由を入力してください" in html
    client.post(f"/visits/{new_id}/cancel", data={"reason": "先方都合"})
    db.session.expire_all()
    assert db.session.get(Visit, new_id).state == "cancelled"


def test_expert_records_and_filer_rates_once(app, client, login_as):
    liaison, expert = make_liaison(), make_expert()
    sreq = make_request(kind="lecture", state="triage")
    start = utcnow() - timedelta(hours=3)
    v = create_visit(liaison, kind="lecture", title="講座", starts_at=start,
                     ends_at=start + timedelta(hours=2), municipalities=[sreq.municipality],
                     attendees=[expert], sreq=sreq, confirm=True,
                     now=start - timedelta(days=10))
    db.session.commit()
    login_as(expert)
    resp = client.post(f"/visits/{v.id}/record", data={
        "attendees_executives": "1", "attendees_business": "-3", "covered": "講義"})
    assert "人数は0以上で入力してください" in resp.get_data(as_text=True)
    resp = client.post(f"/visits/{v.id}/record", data={"attendees_business": "12",
                                                       "covered": "講義"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert sreq.state == "delivered"
    login_as(expert)
    assert client.get(f"/visits/{v.id}/satisfaction").status_code == 404
    login_as(sreq.filer)
    page = client.get(f"/visits/{v.id}").get_data(as_text=True)
    assert "満足度アンケートに回答する" in page and "実施内容" not in page  # record stays inside
    html = client.post(f"/visits/{v.id}/satisfaction", data={}).get_data(as_text=True)
    assert "満足度を選んでください" in html
    client.post(f"/visits/{v.id}/satisfaction", data={"rating": "4", "comment": "参考になった"})
    html = client.post(f"/visits/{v.id}/satisfaction",
                       data={"rating": "5"}).get_data(as_text=True)
    assert "既に回答済みです" in html
    answers = db.session.query(SatisfactionResponse).all()
    assert [(a.rating, a.comment) for a in answers] == [(4, "参考になった")]
    login_as(make_staff("姫路市"))
    assert client.get(f"/visits/{v.id}/satisfaction").status_code == 404


def test_schedule_page_offers_candidates_first(app, client, login_as):
    liaison, expert = make_liaison(), make_expert()
    sreq = make_request(kind="lecture", state="triage",
                        candidate_dates=[(datetime(2030, 11, 2, 10, tzinfo=JST),
                                     datetime(2030, 11, 2, 12, tzinfo=JST)),
                                    (datetime(2030, 11, 5, 14, tzinfo=JST),
                                     datetime(2030, 11, 5, 16, tzinfo=JST))])
    login_as(liaison)
    html = client.get(f"/visits/schedule/{sreq.id}").get_data(as_text=True)
    assert html.index("第1候補") < html.index("第2候補")
    # (a holiday can no longer be a candidate date: filing refuses it; a Saturday is flagged)
    assert "2030-11-02(土) 10:00〜12:00" in html and "土曜日" in html
    resp = client.post(f"/visits/schedule/{sreq.id}", data={
        "candidate_id": sreq.candidate_dates[1].id, "attendee_ids": [expert.id]})
    assert resp.status_code == 302
    db.session.expire_all()
    assert sreq.state == "scheduled"
    login_as(make_staff("佐用町"))
    assert client.get(f"/visits/schedule/{sreq.id}").status_code == 404


def test_follow_up_engagement_and_contact_pages(app, client, login_as):
    liaison, expert = make_liaison(), make_expert()
    start = utcnow() - timedelta(hours=3)
    v = create_visit(liaison, kind="lecture", title="講座", starts_at=start,
                     ends_at=start + timedelta(hours=2), municipalities=[municipality("佐用町")],
                     attendees=[expert], confirm=True, now=start - timedelta(days=1))
    record_visit(v, liaison, covered="講義", follow_ups="伴走したい")
    db.session.commit()
    login_as(liaison)
    resp = client.post(f"/visits/{v.id}/follow-up", data={
        "target": "engagement", "title": "RPA伴走", "body": "3業務", "cadence_days": "30"})
    assert resp.status_code == 302 and "/visits/engagements/" in resp.location
    page = client.get(resp.location).get_data(as_text=True)
    assert "RPA伴走" in page and "次回確認予定" in page
    eng_url = resp.location
    login_as(expert)
    now_local = utcnow().astimezone(JST).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(eng_url + "/contacts", data={"at": now_local, "summary": "電話で確認"})
    assert resp.status_code == 302
    assert "電話で確認" in client.get(eng_url).get_data(as_text=True)
    login_as(make_staff("姫路市"))
    assert client.get(eng_url).get_data(as_text=True) and client.get(eng_url).status_code == 404
    login_as(make_staff("佐用町"))
    assert client.get(eng_url).status_code == 200


def test_engagement_from_an_accompaniment_request(app, client, login_as):
    liaison, expert = make_liaison(), make_expert()
    sreq = make_request(state="triage", kind="accompaniment")
    login_as(liaison)
    html = client.post(f"/visits/engagements/new?request_id={sreq.id}", data={
        "title": "", "cadence_days": "0"}).get_data(as_text=True)
    assert "件名を入力してください" in html and "1〜365日で入力してください" in html
    resp = client.post(f"/visits/engagements/new?request_id={sreq.id}", data={
        "title": "庁内DX推進体制づくり", "goal": "推進計画の策定", "cadence_days": "14",
        "expert_ids": [expert.id]})
    assert resp.status_code == 302
    page = client.get(resp.location).get_data(as_text=True)
    assert "庁内DX推進体制づくり" in page and "14日ごと" in page and sreq.number in page
    assert client.get("/visits/engagements/").status_code == 200
    login_as(expert)
    assert "庁内DX推進体制づくり" in client.get("/visits/engagements/").get_data(as_text=True)
    assert client.get(f"/visits/engagements/new?request_id={sreq.id}").status_code == 404


def test_municipality_page_lists_its_visits(app, client, login_as):
    liaison = make_liaison()
    mkvisit(liaison, title="佐用町での講座")
    mkvisit(liaison, title="姫路市での講座", munis=("姫路市",), start=future(11))
    login_as(make_staff("佐用町"))
    html = client.get(f"/municipalities/{municipality('佐用町').code}").get_data(as_text=True)
    assert "佐用町での講座" in html and "姫路市での講座" not in html


def test_upcoming_list_is_scoped_and_typed_dates_are_flagged(app, client, login_as):
    liaison = make_liaison()
    mkvisit(liaison, title="佐用町での講座")
    mkvisit(liaison, title="姫路市での講座", munis=("姫路市",), start=future(11))
    login_as(make_staff("姫路市"))
    html = client.get("/visits/").get_data(as_text=True)
    assert "姫路市での講座" in html and "佐用町での講座" not in html
    login_as(liaison)
    html = client.post("/visits/new", data={"kind": "lecture", "title": "",
                                            "starts_at": "2025-11-03T10:00",
                                            "ends_at": "2025-11-03T12:00"}).get_data(as_text=True)
    assert "件名を入力してください" in html and "2025-11-03(月)は祝日(文化の日)です" in html


def test_joint_visit_form_offers_checkboxes_grouped_not_a_ctrl_click_list(app, client, login_as):
    expert = make_expert(name="派遣 花子")
    login_as(make_liaison())
    html = client.get("/visits/new").get_data(as_text=True)
    assert "<select multiple" not in html and "Ctrl" not in html
    # Municipalities: one checkbox each, in a named group per region (圏域), inside a fieldset.
    munis = html.split('id="municipality_ids"')[1].split("</fieldset>\n</div>")[0]
    assert '<legend>訪問先の市町 <span class="req" aria-hidden="true">*</span></legend>' in html
    sayo = municipality("佐用町").id
    assert f'type="checkbox" value="{sayo}"' in munis and 'name="municipality_ids"' in munis
    assert "<legend>西播磨</legend>" in munis and "<legend>但馬</legend>" in munis
    people = html.split('id="attendee_ids"')[1]
    assert f'name="attendee_ids" type="checkbox" value="{expert.id}"' in people
    assert "<legend>専門人材</legend>" in people
    # The posted names and the validation are the same as before.
    start = future(12)
    resp = client.post("/visits/new", data={
        "kind": "lecture", "title": "合同講座", "municipality_ids": [sayo, municipality("宍粟市").id],
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "attendee_ids": [expert.id]})
    assert resp.status_code == 302
    v = db.session.query(Visit).filter_by(title="合同講座").one()
    assert sorted(m.name for m in v.municipalities) == ["佐用町", "宍粟市"]
    # A value that is not offered is refused, as by the <select>.
    resp = client.post("/visits/new", data={
        "kind": "lecture", "title": "x", "municipality_ids": ["999999"],
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")})
    assert resp.status_code == 200 and 'aria-invalid="true"' in resp.get_data(as_text=True)
