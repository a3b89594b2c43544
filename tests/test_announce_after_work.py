"""Announce after the work is done: one notice per event, recipient and channel, rendered with
the request's final number and dates; drafts never leave the desk; delivery and 情報部門 status
say what really happened. Through the UI and the API, reading the real outbox."""
import json

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import InAppNotification, OutboxMessage, SupportRequest
from supportdesk.services.announcements import compose_announcement
from supportdesk.services.requests.conversation import add_comment
from supportdesk.services.requests.filing import create_request, withdraw_request
from supportdesk.services.webhooks import save_webhook
from tests.factories import make_liaison, make_staff, make_user, region
from tests.notify_helpers import make_room
from tests.test_api import bearer


def _desk():
    """佐用町 with a 西播磨 liaison and team room, a 情報部門 user and room, and a subscriber."""
    liaison = make_liaison("西播磨")
    team_room = make_room("region", "西播磨チーム", region=region("西播磨"))
    info = make_staff("佐用町", info_dept=True, email="joho@town.sayo.example.jp")
    info_room = make_room(municipality_name="佐用町")
    filer = make_staff("佐用町", department="福祉課", email="fukushi@town.sayo.example.jp")
    sub = save_webhook(make_user("admin"), name="kintone連携", url="http://127.0.0.1:9/hook",
                       event_types=["request.created", "request.state_changed", "request.reply"])
    db.session.commit()
    return dict(liaison=liaison, team_room=team_room, info=info, info_room=info_room,
                filer=filer, sub=sub)


def _rows(sreq_id, **filters):
    stmt = sa.select(OutboxMessage).where(OutboxMessage.request_id == sreq_id)
    for key, value in filters.items():
        stmt = stmt.where(getattr(OutboxMessage, key) == value)
    return db.session.scalars(stmt.order_by(OutboxMessage.id)).all()


def _subscription_rows(sub):
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.idempotency_key.like(f"evt-%-sub-{sub.id}")).order_by(OutboxMessage.id)).all()


def _assert_one_notice_each_with_the_number(desk, sreq):
    number = sreq.number
    assert number and number.startswith("R")
    liaison_mail = _rows(sreq.id, user_id=desk["liaison"].id, channel="email")
    assert len(liaison_mail) == 1, [m.subject for m in liaison_mail]  # not also 「依頼の回付」
    assert number in liaison_mail[0].subject and number in liaison_mail[0].body
    assert "下書き" not in liaison_mail[0].subject
    bells = db.session.scalars(sa.select(InAppNotification).where(
        InAppNotification.user_id == desk["liaison"].id,
        InAppNotification.request_id == sreq.id)).all()
    assert len(bells) == 1 and number in bells[0].title
    team_chat = _rows(sreq.id, room_id=desk["team_room"].id)
    assert len(team_chat) == 1 and number in team_chat[0].body
    # The 情報部門 hears the share once, by mail and in its room, with the number.
    info_mail = _rows(sreq.id, user_id=desk["info"].id, channel="email")
    assert [m.event_type for m in info_mail] == ["request.info_dept_shared"]
    assert number in info_mail[0].subject
    info_chat = _rows(sreq.id, room_id=desk["info_room"].id)
    assert len(info_chat) == 1 and number in info_chat[0].body
    # Subscribers: created once, with the number and the submission time.
    created = [json.loads(r.body) for r in _subscription_rows(desk["sub"])
               if r.event_type == "request.created"]
    assert len(created) == 1
    data = created[0]["data"]["request"]
    assert data["number"] == number and data["submitted_at"] is not None


def test_submitting_in_the_desk_announces_once_with_the_real_number(app, client, login_as):
    desk = _desk()
    login_as(desk["filer"])
    resp = client.post("/requests/new/consultation", data={
        "title": "審査会のペーパーレス化", "body": "資料印刷が負担", "help_wanted": ["advice"],
        "submit": "1"})
    assert resp.status_code == 302
    sreq = db.session.scalar(sa.select(SupportRequest).order_by(SupportRequest.id.desc()))
    _assert_one_notice_each_with_the_number(desk, sreq)


def test_submitting_through_the_api_announces_once_with_the_real_number(app, client):
    desk = _desk()
    resp = client.post("/api/v1/requests", headers=bearer(desk["filer"], "write"), json={
        "kind": "consultation", "title": "電子申請の導入相談", "body": "フォームから受付",
        "submit": True})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    sreq = db.session.get(SupportRequest, resp.get_json()["id"])
    _assert_one_notice_each_with_the_number(desk, sreq)


def test_no_draft_event_leaves_the_desk_by_any_channel(app):
    desk = _desk()
    filer = desk["filer"]
    draft = create_request(filer, "consultation", title="下書きの相談", body="まだ検討中")
    db.session.commit()
    add_comment(draft, filer, "メモ: 課内で確認してから提出する")
    db.session.commit()
    withdraw_request(draft, filer, None)
    db.session.commit()
    assert draft.state == "withdrawn"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InAppNotification)) == 0


def test_a_rolled_back_operation_announces_nothing(app):
    desk = _desk()
    create_request(desk["filer"], "consultation", title="取り消される相談", body="本文", submit=True)
    db.session.rollback()
    db.session.commit()  # a later commit must not announce the rolled-back submission
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_announcement_delivery_status_names_each_municipalitys_chat_row(app, client, login_as):
    _desk()
    make_room(municipality_name="たつの市", name="たつの市 情報部門")
    make_staff("たつの市", info_dept=True)
    admin = make_user("liaison", regions=("西播磨",))
    a = compose_announcement(admin, title="研修のご案内", body="本文", category="研修・セミナー",
                             target_all=True)
    db.session.commit()
    login_as(admin)
    page = client.get(f"/announcements/{a.id}").get_data(as_text=True)
    chat = {r.municipality_id for r in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.announcement_id == a.id, OutboxMessage.channel == "webhook"))}
    assert chat == {_muni_id("佐用町"), _muni_id("たつの市")}
    # The two municipalities with a room show their chat status; the other 39 have none.
    assert page.count("送信待ち") == 2
    assert page.count("ルーム未設定") == 39


def test_info_dept_share_is_claimed_only_when_someone_was_reached(app, client, login_as):
    liaison = make_liaison("西播磨")
    db.session.commit()
    login_as(liaison)
    # 太子町 has no 情報部門 user and no room: a push request cannot be shared with anyone.
    resp = client.post("/requests/new/consultation", data={
        "title": "プッシュ型の相談", "body": "巡回で把握した課題", "help_wanted": ["advice"],
        "municipality_id": str(_muni_id("太子町")), "submit": "1"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "情報部門に共有済み" not in html
    assert "誰にも共有されていません" in html
    assert "情報部門には共有されていません" in html  # told at once, as a flash

    make_staff("佐用町", info_dept=True)
    db.session.commit()
    resp = client.post("/requests/new/consultation", data={
        "title": "佐用町へのプッシュ型の相談", "body": "巡回で把握した課題", "help_wanted": ["advice"],
        "municipality_id": str(_muni_id("佐用町")), "submit": "1"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "情報部門に共有済み" in html and "誰にも共有されていません" not in html


def _muni_id(name):
    from tests.factories import municipality

    return municipality(name).id
