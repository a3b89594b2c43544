"""Announcements (issue 13.3): opening one marks it read like the bell, the per-municipality status
shows the chat delivery next to the readers, and staff-band targeting counts the municipalities
it leaves out for lack of a registered 職員規模."""
from datetime import UTC, datetime

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Announcement, InAppNotification, Municipality
from supportdesk.notifications.outbox import dispatch_due
from supportdesk.services import ValidationFailed
from supportdesk.services.announcements import (compose_announcement, missing_staff_band,
                                                unregistered_staff_band_count)
from tests.factories import make_liaison, make_staff, municipality, region
from tests.notify_helpers import Receiver, make_room

OPEN = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def compose(actor, **kw):
    args = dict(title="セキュリティ研修のご案内", body="12月に開催します。", category="研修・セミナー",
                now=OPEN)
    args.update(kw)
    return compose_announcement(actor, **args)


def bell(user, a):
    return db.session.scalar(sa.select(InAppNotification).where(
        InAppNotification.user_id == user.id, InAppNotification.announcement_id == a.id))


def test_opening_an_announcement_marks_it_read_for_that_reader_only(app, client, login_as):
    liaison = make_liaison("西播磨")
    reader = make_staff("佐用町", info_dept=True, name="佐用 花子")
    other = make_staff("佐用町", info_dept=True, name="佐用 太郎")
    a = compose(liaison, municipality_ids=[municipality("佐用町").id])
    db.session.commit()
    assert bell(reader, a).read_at is None and bell(other, a).read_at is None
    login_as(reader)
    # Straight from the archive, not through the bell.
    assert "セキュリティ研修のご案内" in client.get("/announcements").get_data(as_text=True)
    assert client.get(f"/announcements/{a.id}").status_code == 200
    db.session.expire_all()
    first_read = bell(reader, a).read_at
    assert first_read is not None and bell(other, a).read_at is None
    # Opening again keeps the first time it was read.
    client.get(f"/announcements/{a.id}")
    db.session.expire_all()
    assert bell(reader, a).read_at == first_read
    login_as(liaison)
    page = client.get(f"/announcements/{a.id}").get_data(as_text=True)
    assert "佐用 花子(既読" in page and "佐用 太郎(未読)" in page
    # Another municipality's staff: 404, and nothing is marked.
    login_as(make_staff("豊岡市", info_dept=True))
    assert client.get(f"/announcements/{a.id}").status_code == 404


def test_read_status_per_municipality_shows_chat_delivery(app, client, login_as):
    liaison = make_liaison("西播磨")
    app.config.update(CHAT_WEBHOOK_ALLOW_HTTP=True)
    with Receiver() as receiver:
        make_room(url=receiver.url, municipality_name="佐用町")
        make_staff("佐用町", info_dept=True, name="佐用 花子")
        a = compose(liaison, municipality_ids=[municipality("佐用町").id,
                                               municipality("上郡町").id])
        db.session.commit()
        login_as(liaison)
        rows = client.get(f"/announcements/{a.id}").get_data(as_text=True).split(
            'data-testid="delivery-row"')[1:]
        kamigori = next(r for r in rows if "上郡町" in r)
        sayo = next(r for r in rows if "佐用町" in r)
        assert "送信待ち" in sayo and "佐用 花子(未読)" in sayo and "ルーム未設定" in kamigori
        assert dispatch_due(now=OPEN)["sent"] == 1
        assert len(receiver.unique) == 1
    rows = client.get(f"/announcements/{a.id}").get_data(as_text=True).split(
        'data-testid="delivery-row"')[1:]
    sayo = next(r for r in rows if "佐用町" in r)
    assert "送信済" in sayo and "送信待ち" not in sayo


def set_bands(**bands):
    for name, band in bands.items():
        municipality(name).dx_staff_band = band
    db.session.commit()


def test_staff_band_targeting_counts_the_municipalities_without_the_value(app):
    liaison = make_liaison("西播磨")
    db.session.execute(sa.update(Municipality).values(dx_staff_band=None))
    set_bands(佐用町="1", 上郡町="2", 豊岡市="1")
    assert unregistered_staff_band_count() == 38
    west = region("西播磨").id
    # In 西播磨 (7 municipalities) two have a band: five are left out for lack of one.
    probe = Announcement(target_region_ids=[west], target_dx_staff_bands=["1"])
    assert missing_staff_band(probe) == 5
    # Named municipalities are reached anyway: they are not counted as left out.
    probe.target_municipality_ids = [municipality("相生市").id]
    assert missing_staff_band(probe) == 4
    # Without a band condition, or to every municipality, nobody is left out for it.
    assert missing_staff_band(Announcement(target_region_ids=[west])) == 0
    assert missing_staff_band(Announcement(target_all=True, target_dx_staff_bands=["1"])) == 0
    # Across the prefecture.
    assert missing_staff_band(Announcement(target_dx_staff_bands=["6~10"])) == 38


def test_band_that_reaches_nobody_says_why(app):
    liaison = make_liaison("西播磨")
    db.session.execute(sa.update(Municipality).values(dx_staff_band=None))
    db.session.commit()
    try:
        compose(liaison, dx_staff_bands=["1"])
    except ValidationFailed as exc:
        assert exc.field == "dx_staff_bands"
        assert "職員規模が未登録の市町が41件あります(対象外)" in str(exc)
    else:
        raise AssertionError("an announcement reaching nobody was sent")


def test_compose_form_shows_the_gap_before_and_after_sending(app, client, login_as):
    liaison = make_liaison("西播磨")
    db.session.execute(sa.update(Municipality).values(dx_staff_band=None))
    set_bands(佐用町="1")
    login_as(liaison)
    form = client.get("/announcements/new").get_data(as_text=True)
    assert "職員規模が未登録の市町が40件あります" in form
    data = {"title": "少人数体制向けの研修", "category": "研修・セミナー", "body": "本文",
            "links": "", "dx_staff_bands": ["1"], "departments": "info", "send_mode": "now"}
    resp = client.post("/announcements/new", data=data, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "お知らせを送信しました" in page
    assert "flash-warning" in page and "職員規模が未登録の市町が40件あります(対象外)" in page
    a = db.session.scalar(sa.select(Announcement).where(Announcement.title == "少人数体制向けの研修"))
    assert [r.municipality.name for r in a.recipients] == ["佐用町"]
    # Reaching nobody: the form comes back with the count beside the band field, typed values kept.
    data.update(title="誰にも届かない研修", dx_staff_bands=["51~"])
    resp = client.post("/announcements/new", data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'value="誰にも届かない研修"' in page
    assert "送信先の市町がありません" in page and "職員規模が未登録の市町が40件あります(対象外)" in page
    assert db.session.scalar(sa.select(Announcement).where(
        Announcement.title == "誰にも届かない研修")) is None
