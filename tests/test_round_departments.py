"""Departments (県の関係部署): the managed list, the notice each department gets when a round's
findings are shared with it (outbox, loopback SMTP) and its read-only page behind a token."""
import re
from datetime import datetime, time

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Department, OutboxMessage
from supportdesk.notifications.outbox import dispatch_due
from supportdesk.services.visits import round_departments as depts
from supportdesk.services.visits import rounds as svc
from supportdesk.timeutil import JST
from tests.factories import make_department, make_liaison, make_staff, make_user, municipality
from tests.notify_helpers import outbox_rows


def jst(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=JST)


def shared_round(liaison, name, departments, *, issues="庁内の推進体制がない"):
    when = jst(2026, 11, 10, 10)
    rec = svc.record_round(liaison, municipality(name), held_on=when.date(), start_time=time(10),
                           end_time=time(11), progress="RPA導入を検討中", issues=issues,
                           departments=departments, now=jst(2026, 11, 10, 15))
    db.session.commit()
    return rec


def token_path(dept):
    return depts.department_page_path(dept)


def test_each_chosen_department_gets_a_notice_by_mail(napp, smtp):
    digital = make_department("デジタル改革課", "digital@pref.example.jp")
    shicho = make_department("市町振興課", "shicho@pref.example.jp")
    make_department("産業振興課", "sangyo@pref.example.jp")      # not chosen: hears nothing
    noaddr = make_department("防災企画課", None)                   # no address: linked, not told
    rec = shared_round(make_liaison("西播磨"), "佐用町", [digital, shicho, noaddr])
    rows = outbox_rows(event_type="round.findings_shared")
    assert sorted(r.to_address for r in rows) == ["digital@pref.example.jp",
                                                  "shicho@pref.example.jp"]
    assert all(r.channel == "email" and r.user_id is None for r in rows)
    assert [d.name for d in rec.departments] == ["デジタル改革課", "市町振興課", "防災企画課"]
    assert dispatch_due(now=jst(2026, 11, 11, 9))["sent"] == 2
    mails = {tuple(rcpts): mail for rcpts, mail in smtp.sink.messages}
    mail = mails[("digital@pref.example.jp",)]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "佐用町" in mail["Subject"] and "庁内の推進体制がない" in body
    assert "https://desk.example.lg.jp" + token_path(digital) in body
    assert token_path(shicho) not in body
    # Sharing again with a department already told sends nothing new.
    depts.share_findings(rec.recorded_by, rec, [digital], now=jst(2026, 11, 12))
    db.session.commit()
    assert len(outbox_rows(event_type="round.findings_shared")) == 2


def test_the_department_page_shows_what_was_shared_with_it_only(app, client):
    digital, shicho = make_department("デジタル改革課"), make_department("市町振興課", "s@x.jp")
    liaison = make_liaison("西播磨")
    shared_round(liaison, "佐用町", [digital], issues="生成AIの利用ルールが未整備")
    shared_round(liaison, "赤穂市", [shicho], issues="幹部の理解を得る材料が不足")
    page = client.get(token_path(digital))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "生成AIの利用ルールが未整備" in text and "佐用町" in text and "2026-11-10" in text
    assert "幹部の理解を得る材料が不足" not in text
    # Another department's token shows that department's findings, not these.
    other = client.get(token_path(shicho)).get_data(as_text=True)
    assert "幹部の理解を得る材料が不足" in other and "生成AIの利用ルールが未整備" not in other
    # A forged or altered token, or another department's MAC on this id: 404.
    good = depts.department_token(digital)
    forged = f"{digital.id}-{depts.department_token(shicho).split('-', 1)[1]}"
    for bad in (forged, good[:-1] + ("0" if good[-1] != "0" else "1"), f"{digital.id}", "x-y"):
        assert client.get(f"/departments/shared/{bad}").status_code == 404
    # Read-only: no form posts to the page.
    assert client.post(token_path(digital)).status_code == 405


def test_reissuing_or_deactivating_withdraws_the_link(app, client):
    dept = make_department()
    old = token_path(dept)
    admin = make_user("admin")
    depts.reissue_link(admin, dept)
    db.session.commit()
    assert client.get(old).status_code == 404
    assert client.get(token_path(dept)).status_code == 200
    depts.save_department(admin, dept, name=dept.name, contact_email=None, active=False)
    db.session.commit()
    assert client.get(token_path(dept)).status_code == 404


def test_prefecture_users_read_a_departments_page_staff_do_not(app, client, login_as):
    dept = make_department()
    shared_round(make_liaison("西播磨"), "佐用町", [dept], issues="予算が足りない")
    for user in (make_user("manager"), make_liaison("但馬"), make_user("admin")):
        login_as(user)
        assert "予算が足りない" in client.get(f"/departments/{dept.id}").get_data(as_text=True)
    login_as(make_staff("佐用町"))
    assert client.get(f"/departments/{dept.id}").status_code == 403


def test_admin_manages_the_department_list(app, client, login_as):
    login_as(make_user("admin"))
    resp = client.post("/admin/departments/new", data={"name": "デジタル改革課",
                                                        "contact_email": "digital@pref.example.jp",
                                                        "active": "y"})
    assert resp.status_code == 302
    dept = db.session.scalar(sa.select(Department))
    assert (dept.name, dept.contact_email, dept.active) == ("デジタル改革課",
                                                            "digital@pref.example.jp", True)
    assert "デジタル改革課" in client.get("/admin/departments").get_data(as_text=True)
    # The same name again: refused beside the field, what was typed kept.
    resp = client.post("/admin/departments/new", data={"name": "デジタル改革課",
                                                        "contact_email": "other@pref.example.jp"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "同じ名前の部署が既に登録されています。" in page
    assert 'value="other@pref.example.jp"' in page
    resp = client.post(f"/admin/departments/{dept.id}", data={"name": "デジタル改革課",
                                                               "contact_email": "not-an-address"})
    assert "メールアドレスの形式が正しくありません。" in resp.get_data(as_text=True)
    client.post(f"/admin/departments/{dept.id}", data={"name": "デジタル改革推進課",
                                                        "contact_email": ""})
    db.session.expire_all()
    assert (dept.name, dept.contact_email, dept.active) == ("デジタル改革推進課", None, False)
    for user in (make_liaison("西播磨"), make_user("manager"), make_staff()):
        login_as(user)
        assert client.get("/admin/departments").status_code == 403
        assert client.post("/admin/departments/new", data={"name": "x"}).status_code == 403


def test_the_round_form_offers_active_departments_and_shares_with_them(app, client, login_as):
    digital = make_department("デジタル改革課")
    retired = make_department("旧情報課", active=False)
    login_as(make_liaison("西播磨"))
    code = municipality("佐用町").code
    form = client.get(f"/rounds/municipalities/{code}/record").get_data(as_text=True)
    assert "デジタル改革課" in form and "旧情報課" not in form
    data = {"held_on": "2026-11-10", "start_time": "10:00", "end_time": "11:00",
            "progress": "p", "issues": "i", "departments": [digital.id, retired.id]}
    resp = client.post(f"/rounds/municipalities/{code}/record", data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "選べない部署(使われていない部署など)が含まれています。" in page
    assert re.search(rf'<input checked[^>]*value="{digital.id}"', page)   # still ticked
    assert re.search(r'name="issues">\s*i</textarea>', page)              # what was typed stays
    data["departments"] = [digital.id]
    assert client.post(f"/rounds/municipalities/{code}/record", data=data).status_code == 302
    rows = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "round.findings_shared")).all()
    assert [r.to_address for r in rows] == ["digital@pref.example.jp"]


def test_free_text_departments_of_old_records_stay_readable(app):
    rec = shared_round(make_liaison("西播磨"), "佐用町", [make_department("デジタル改革課")])
    rec.shared_departments = ["デジタル改革課", "市町振興課"]   # typed before the managed list
    db.session.commit()
    assert rec.shared_department_names == ["デジタル改革課", "市町振興課"]
