"""Push information: targeting by region and band, delivery per municipality, archive isolation."""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Announcement, InAppNotification, OutboxMessage
from supportdesk.notifications.outbox import dispatch_due
from supportdesk.services.announcements import (compose_announcement, send_due_announcements,
                                                target_municipalities)
from tests.factories import make_liaison, make_staff, make_user, municipality, region
from tests.notify_helpers import Receiver, make_room

OPEN = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def compose(actor, **kw):
    args = dict(title="デジタル化補助金の公募開始", body="申請期限は12月末です。", category="補助金・交付金",
                links=["https://www.example.go.jp/hojo"], now=OPEN)
    args.update(kw)
    return compose_announcement(actor, **args)


def names(munis):
    return sorted(m.name for m in munis)


def test_targeting_by_region_band_and_named_municipalities(app):
    liaison = make_liaison("西播磨")
    west = region("西播磨")
    by_region = names(target_municipalities(Announcement(target_region_ids=[west.id])))
    assert by_region == sorted(["相生市", "赤穂市", "宍粟市", "たつの市", "太子町", "上郡町", "佐用町"])
    small_west = names(target_municipalities(Announcement(
        target_region_ids=[west.id], target_population_bands=["5万人未満"])))
    assert "たつの市" not in small_west and "佐用町" in small_west
    municipality("豊岡市").dx_staff_band = "6~10"
    municipality("佐用町").dx_staff_band = "1"
    db.session.commit()
    by_staff = names(target_municipalities(Announcement(target_dx_staff_bands=["6~10"])))
    assert by_staff == ["豊岡市"]
    plus_named = names(target_municipalities(Announcement(
        target_dx_staff_bands=["6~10"], target_municipality_ids=[municipality("明石市").id])))
    assert plus_named == ["明石市", "豊岡市"]
    assert len(target_municipalities(Announcement(target_all=True))) == 41
    assert target_municipalities(Announcement()) == []
    assert liaison.id


def test_sending_to_a_region_reaches_its_rooms_and_info_dept_users_only(app):
    liaison = make_liaison("西播磨")
    west = region("西播磨")
    with Receiver() as receiver:
        sayo_room = make_room(url=receiver.url, municipality_name="佐用町")
        make_room(url=receiver.url, municipality_name="豊岡市", name="豊岡市 情報政策課")
        sayo_info = make_staff("佐用町", info_dept=True)
        sayo_other = make_staff("佐用町")
        toyooka_info = make_staff("豊岡市", info_dept=True)
        a = compose(liaison, region_ids=[west.id])
        db.session.commit()
        assert a.status == "sent" and len(a.recipients) == 7
        chat = db.session.scalars(sa.select(OutboxMessage)).all()
        assert [(m.room_id, m.channel) for m in chat] == [(sayo_room.id, "webhook")]
        bell = db.session.scalars(sa.select(InAppNotification)).all()
        assert [n.user_id for n in bell] == [sayo_info.id]
        assert bell[0].title == "【県からのお知らせ】デジタル化補助金の公募開始"
        app.config.update(CHAT_WEBHOOK_ALLOW_HTTP=True)
        assert dispatch_due(now=OPEN)["sent"] == 1
        [(headers, body)] = receiver.unique.values()
    text = body.decode()
    assert "【県からのお知らせ】補助金・交付金" in text and "宛先:佐用町" in text
    assert f"/announcements/{a.id}" in text and "申請期限" not in text
    assert sayo_other.id and toyooka_info.id


def test_all_departments_reach_every_staff_member(app):
    admin = make_user("admin")
    info, other = make_staff("佐用町", info_dept=True), make_staff("佐用町")
    compose(admin, municipality_ids=[municipality("佐用町").id], departments="all")
    db.session.commit()
    assert sorted(db.session.scalars(sa.select(InAppNotification.user_id))) == sorted(
        [info.id, other.id])


def test_scheduled_announcement_is_sent_by_the_job_once(app):
    liaison = make_liaison("西播磨")
    info = make_staff("佐用町", info_dept=True)
    a = compose(liaison, municipality_ids=[municipality("佐用町").id],
                scheduled_at=OPEN + timedelta(hours=3))
    db.session.commit()
    assert a.status == "scheduled"
    assert send_due_announcements(now=OPEN + timedelta(hours=2)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InAppNotification)) == 0
    assert send_due_announcements(now=OPEN + timedelta(hours=3)) == 1
    db.session.commit()
    assert send_due_announcements(now=OPEN + timedelta(hours=4)) == 0
    assert db.session.scalars(sa.select(InAppNotification.user_id)).all() == [info.id]
    assert a.status == "sent"


def test_archive_shows_only_announcements_for_the_users_municipality(client, login_as):
    liaison = make_liaison("西播磨")
    sayo, toyooka = make_staff("佐用町", info_dept=True), make_staff("豊岡市", info_dept=True)
    west = compose(liaison, title="西播磨向け研修", category="研修・セミナー",
                   region_ids=[region("西播磨").id])
    tajima = compose(liaison, title="但馬向け事例", category="事例", region_ids=[region("但馬").id])
    db.session.commit()
    login_as(sayo)
    page = client.get("/announcements").get_data(as_text=True)
    assert "西播磨向け研修" in page and "但馬向け事例" not in page
    assert client.get(f"/announcements/{west.id}").status_code == 200
    assert client.get(f"/announcements/{tajima.id}").status_code == 404
    assert client.get("/announcements/new").status_code == 403
    login_as(toyooka)
    assert client.get(f"/announcements/{west.id}").status_code == 404


def test_liaison_composes_in_the_form_and_sees_delivery_and_readers(client, login_as):
    liaison = make_liaison("西播磨")
    info = make_staff("佐用町", info_dept=True, name="佐用 花子")
    login_as(liaison)
    resp = client.post("/announcements/new", data={
        "title": "標準化の説明会", "category": "システム標準化", "body": "オンラインで開催します。",
        "links": "javascript:alert(1)", "municipality_ids": [str(municipality("佐用町").id)],
        "departments": "info", "send_mode": "now"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "http:// または https://" in page
    assert "標準化の説明会" in page  # the typed value is kept
    resp = client.post("/announcements/new", data={
        "title": "標準化の説明会", "category": "システム標準化", "body": "オンラインで開催します。",
        "links": "", "municipality_ids": [str(municipality("佐用町").id)], "departments": "info",
        "send_mode": "now"})
    assert resp.status_code == 302
    a = db.session.scalar(sa.select(Announcement))
    page = client.get(f"/announcements/{a.id}").get_data(as_text=True)
    assert "佐用町" in page and "ルーム未設定" in page and "佐用 花子(未読)" in page
    login_as(info)
    n = db.session.scalar(sa.select(InAppNotification))
    resp = client.post(f"/notifications/{n.id}/open")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert resp.headers["Location"] == f"/announcements/{a.id}"
    login_as(liaison)
    assert "佐用 花子(既読" in client.get(f"/announcements/{a.id}").get_data(as_text=True)
