"""Bulk actions in the queue beyond assignment: hold, resume, close, a 定型文 reply, follow, export.

Each row goes through the single action's service; refused rows are reported with their number
and the reason, and leave neither a change, an event nor a notice behind.
"""
import csv
import io
import re
from html import unescape

import sqlalchemy as sa
from openpyxl import load_workbook

from supportdesk.extensions import db
from supportdesk.models import (OutboxMessage, ReplyTemplate, RequestComment, RequestEvent,
                                SupportRequest)
from supportdesk.notifications import notify, pending_events, savepoint
from supportdesk.services.requests.queue_bulk import bulk_apply
from tests.factories import advance_request, make_liaison, make_request, make_staff, make_user

HOLD = {"op": "hold", "reason": "庁内の予算確認待ち", "hold_until": "2099-05-01"}


def text(resp):
    return unescape(resp.get_data(as_text=True))


def fresh(sreq):
    db.session.expire_all()
    return db.session.get(SupportRequest, sreq.id)


def checked_ids(page):
    return {int(i) for i in re.findall(r'name="ids" value="(\d+)"[^>]*checked', page)}


def outbox(event_type, sreq):
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == event_type, OutboxMessage.request_id == sreq.id)).all()


def three(liaison):
    """Two open requests of 佐用町 and a closed one (the hold must be refused for it)."""
    staff = make_staff("佐用町")
    a = make_request(staff, title="窓口DXの相談")
    b = make_request(staff, title="電子申請の相談")
    closed = advance_request(make_request(staff, title="完了した相談"), "closed", liaison)
    return a, b, closed


def test_bulk_hold_holds_what_it_may_and_reports_the_refused_row(client, login_as):
    liaison = make_liaison("西播磨")
    a, b, closed = three(liaison)
    login_as(liaison)
    resp = client.post("/queue/bulk?state=all", data={**HOLD, "ids": [a.id, b.id, closed.id]})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/queue/?state=all")
    for sreq in (a, b):
        sreq = fresh(sreq)
        assert sreq.state == "on_hold" and sreq.hold_reason == "庁内の予算確認待ち"
        assert str(sreq.hold_until) == "2099-05-01"
        event = db.session.scalars(sa.select(RequestEvent).where(
            RequestEvent.request_id == sreq.id, RequestEvent.action == "hold")).one()
        assert event.actor_id == liaison.id and event.note == "庁内の予算確認待ち"
        assert outbox("request.hold", sreq)  # the filer hears of it
    assert fresh(closed).state == "closed"
    assert not outbox("request.hold", closed)
    page = text(client.get("/queue/?state=all"))
    assert "2件に「保留にする」を行いました。" in page
    assert (f"1件は変更できませんでした({closed.number}):"
            "「完了」の状態からは「保留にする」はできません。") in page


def test_bulk_hold_without_a_reason_keeps_the_selection_and_says_so_beside_the_field(
        client, login_as):
    liaison = make_liaison("西播磨")
    a, b, _closed = three(liaison)
    login_as(liaison)
    resp = client.post("/queue/bulk?state=all", data={
        "op": "hold", "reason": " ", "hold_until": "2099-05-01", "ids": [a.id, b.id]})
    assert resp.status_code == 422
    page = text(resp)
    assert re.search(r'id="reason-error">理由を入力してください。<', page)
    assert checked_ids(page) == {a.id, b.id}
    assert 'value="2099-05-01"' in page  # what was typed stays
    assert fresh(a).state == "submitted" and fresh(b).state == "submitted"
    resp = client.post("/queue/bulk?state=all", data={"op": "hold", "reason": "予算待ち",
                                                        "ids": [a.id]})
    assert resp.status_code == 422
    assert re.search(r'id="hold_until-error">保留を解除する予定日を入力してください。<', text(resp))
    assert 'value="予算待ち"' in text(resp)


def test_bulk_action_with_no_rows_selected_says_so(client, login_as):
    login_as(make_liaison("西播磨"))
    resp = client.post("/queue/bulk", data={**HOLD})
    assert resp.status_code == 422
    page = text(resp)
    assert re.search(r'id="bulk-ids-error" role="alert">依頼を選んでください。<', page)
    assert 'value="庁内の予算確認待ち"' in page


def test_bulk_resume_and_close_go_through_the_state_machine(client, login_as):
    liaison = make_liaison("西播磨")
    a, b, closed = three(liaison)
    login_as(liaison)
    client.post("/queue/bulk", data={**HOLD, "ids": [a.id]})
    resp = client.post("/queue/bulk", data={"op": "resume", "reason": "予算が付いた",
                                            "ids": [a.id, b.id]})
    assert resp.status_code == 302
    assert fresh(a).state == "triage" and fresh(b).state == "submitted"
    event = db.session.scalars(sa.select(RequestEvent).where(
        RequestEvent.request_id == a.id, RequestEvent.action == "resume")).one()
    assert event.note == "予算が付いた"
    page = text(client.get("/queue/"))
    assert f"1件は変更できませんでした({b.number}):「受付」の状態からは「保留を解除する」はできません。" in page

    answered = advance_request(make_request(make_staff("佐用町"), title="回答済み"), "answered",
                               liaison)
    resp = client.post("/queue/bulk", data={"op": "close", "ids": [answered.id, a.id]})
    assert resp.status_code == 302
    assert fresh(answered).state == "closed" and fresh(a).state == "triage"
    assert outbox("request.close", answered)


def test_bulk_reply_sends_the_template_with_each_requests_placeholders(client, login_as):
    liaison = make_liaison("西播磨", "中播磨")
    a = make_request(make_staff("佐用町"), title="窓口DXの相談")
    b = make_request(make_staff("姫路市"), title="電子申請の相談")
    tpl = ReplyTemplate(title="受付のお知らせ", body="{市町}様 {番号}「{件名}」を受け付けました。",
                        created_by_id=liaison.id)
    db.session.add(tpl)
    db.session.commit()
    login_as(liaison)
    resp = client.post("/queue/bulk", data={"op": "reply", "template_id": tpl.id,
                                            "ids": [a.id, b.id]})
    assert resp.status_code == 302
    bodies = {c.request_id: c.body for c in db.session.scalars(sa.select(RequestComment))}
    assert bodies == {a.id: f"佐用町様 {a.number}「窓口DXの相談」を受け付けました。",
                      b.id: f"姫路市様 {b.number}「電子申請の相談」を受け付けました。"}
    assert all(not c.internal for c in db.session.scalars(sa.select(RequestComment)))
    assert outbox("request.reply", a) and outbox("request.reply", b)
    resp = client.post("/queue/bulk", data={"op": "reply", "template_id": 0, "ids": [a.id]})
    assert resp.status_code == 422
    assert re.search(r'id="template_id-error">定型文を選んでください。<', text(resp))


def test_the_request_page_fills_a_templates_placeholders_too(client, login_as):
    liaison = make_liaison("西播磨")
    sreq = make_request(make_staff("佐用町"), title="窓口DXの相談")
    tpl = ReplyTemplate(title="受付", body="{番号} {件名} {市町}", created_by_id=liaison.id)
    db.session.add(tpl)
    db.session.commit()
    login_as(liaison)
    page = text(client.get(f"/requests/{sreq.id}?template={tpl.id}"))
    assert f"{sreq.number} 窓口DXの相談 佐用町</textarea>" in page
    assert f'data-body="{sreq.number} 窓口DXの相談 佐用町"' in page  # the picker inserts this


def test_bulk_follow_and_unfollow(client, login_as):
    manager = make_user("manager")
    liaison = make_liaison("西播磨")
    a, b, _closed = three(liaison)

    def follows(sreq):
        return manager.id in {u.id for u in fresh(sreq).followers}

    login_as(manager)
    assert client.post("/queue/bulk", data={"op": "follow", "ids": [a.id, b.id]}).status_code == 302
    assert follows(a) and follows(b)
    assert client.post("/queue/bulk", data={"op": "unfollow", "ids": [a.id]}).status_code == 302
    assert not follows(a) and follows(b)
    assert "1件に「フォローをやめる」を行いました。" in text(client.get("/queue/"))


def test_export_csv_and_xlsx_hold_the_selected_rows_the_user_may_see(client, login_as):
    liaison = make_liaison("西播磨")
    a, b, closed = three(liaison)
    someone_elses_draft = make_request(make_staff("佐用町"), state="draft", title="他人の下書き")
    login_as(liaison)
    ids = [a.id, closed.id, someone_elses_draft.id]
    resp = client.post("/queue/bulk", data={"op": "export_csv", "ids": ids})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["番号", "件名", "市町", "種別", "状態"]
    assert [(r[0], r[1], r[2], r[4]) for r in rows[1:]] == sorted([
        (a.number, "窓口DXの相談", "佐用町", "受付"), (closed.number, "完了した相談", "佐用町", "完了")])
    resp = client.post("/queue/bulk", data={"op": "export_xlsx", "ids": ids})
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][0] == "番号"
    assert sorted(r[0] for r in values[1:]) == sorted([a.number, closed.number])
    assert client.post("/queue/bulk", data={"op": "export_csv"}).status_code == 422


def test_the_queue_offers_each_role_only_its_bulk_actions(client, login_as):
    liaison = make_liaison("西播磨")
    a, _b, _closed = three(liaison)
    login_as(make_user("manager"))
    page = text(client.get("/queue/?state=all"))
    assert 'value="follow"' in page and 'value="export_csv"' in page
    assert 'value="hold"' not in page and 'value="reply"' not in page
    # The server refuses what the page does not offer.
    assert client.post("/queue/bulk", data={**HOLD, "ids": [a.id]}).status_code == 403
    assert fresh(a).state == "submitted"
    login_as(make_staff("佐用町"))
    assert client.post("/queue/bulk", data={"op": "export_csv", "ids": [a.id]}).status_code == 403
    login_as(liaison)
    page = text(client.get("/queue/?state=all"))
    for op in ("hold", "resume", "close", "reply", "follow", "export_csv", "export_xlsx"):
        assert f'value="{op}"' in page


def test_the_service_checks_each_row_like_the_single_action(app):
    ctx = app.test_request_context()  # refusals are translated
    ctx.push()
    try:
        liaison = make_liaison("西播磨")
        a, _b, _closed = three(liaison)
        draft = make_request(make_staff("佐用町"), state="draft")
        from datetime import date
        result = bulk_apply(make_user("manager"), "hold", [a.id, draft.id], reason="理由",
                            hold_until=date(2099, 5, 1))
        assert result.done == []
        assert [(r.label, r.reason) for r in result.refused] == [
            (a.number, "この操作を行う権限がありません。"),
            (f"#{draft.id}", "見つからないか、表示する権限がありません。")]
        db.session.rollback()
        assert fresh(a).state == "submitted"
    finally:
        ctx.pop()


def test_a_rolled_back_savepoint_forgets_its_notices(app):
    sreq = make_request(make_staff("佐用町"))
    notify("request.hold", sreq=sreq)
    try:
        with savepoint():
            notify("request.resume", sreq=sreq)
            raise RuntimeError("refused")
    except RuntimeError:
        pass
    with savepoint():
        notify("request.close", sreq=sreq)
    assert [e.event_type for e in pending_events()] == ["request.hold", "request.close"]
    db.session.rollback()
