"""More webhook event types: visits confirmed, moved and cancelled, engagements opened and
closed, rounds recorded / due / overdue and announcements published, each fired by the service
that does the work and delivered through the same signed outbox to a real loopback receiver,
which checks the signature with its own HMAC code."""
import json
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import OutboxMessage
from supportdesk.notifications.outbox import drain
from supportdesk.notifications.subscriptions import WEBHOOK_EVENTS, webhook_events_for
from supportdesk.services.announcements import compose_announcement
from supportdesk.services.visits import rounds as rounds_svc
from supportdesk.services.visits.engagements import close_engagement, create_engagement
from supportdesk.services.visits.lifecycle import (cancel_visit, confirm_visit, create_visit,
                                                   postpone_visit)
from supportdesk.services.visits.round_notices import send_round_notices
from supportdesk.timeutil import JST
from tests.factories import make_expert, make_liaison, make_staff, municipality
from tests.test_webhook_delivery import OPEN, hook, subscribe  # noqa: F401 (the hook fixture)

NEW_EVENTS = ("visit.confirmed", "visit.moved", "visit.cancelled", "engagement.opened",
              "engagement.closed", "round.recorded", "round.due", "round.overdue",
              "announcement.published")


def delivered(hook):
    """(type, data) of every delivery the receiver accepted, after it checked the signature."""
    assert hook.bad == 0
    return [(json.loads(body)["type"], json.loads(body)["data"]) for _h, body in hook.accepted]


def test_the_new_event_types_are_offered_to_subscribers():
    for event in NEW_EVENTS:
        assert event in WEBHOOK_EVENTS and webhook_events_for(event) == (event,)


def test_visit_confirmed_moved_cancelled_reach_the_receiver_signed(napp, hook):
    subscribe(hook, events=["visit.confirmed", "visit.moved", "visit.cancelled"])
    liaison, expert = make_liaison(), make_expert()
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    visit = create_visit(liaison, kind="lecture", title="庁内のメモ入り件名", starts_at=start,
                         ends_at=start + timedelta(hours=2), municipalities=[municipality("佐用町")],
                         attendees=[expert], now=OPEN)
    confirm_visit(visit, liaison, now=OPEN)
    db.session.commit()
    moved = postpone_visit(visit, liaison, starts_at=start + timedelta(days=7),
                           ends_at=start + timedelta(days=7, hours=2), reason="講師の都合", now=OPEN)
    db.session.commit()
    cancel_visit(moved, liaison, "大雨のため", now=OPEN)
    db.session.commit()
    drain(now=OPEN)
    got = delivered(hook)
    assert [t for t, _d in got] == ["visit.confirmed", "visit.moved", "visit.cancelled"]
    confirmed, moved_data, cancelled = (d for _t, d in got)
    assert confirmed["visit"]["id"] == visit.id and confirmed["visit"]["state"] == "confirmed"
    assert confirmed["visit"]["municipality_codes"] == ["28501"]
    assert moved_data["visit"]["id"] == moved.id and moved_data["previous_visit_id"] == visit.id
    assert moved_data["previous_starts_at"] == start.isoformat()
    assert cancelled["visit"]["state"] == "cancelled"
    # The desk's own words stay in the desk.
    text = " ".join(body.decode() for _h, body in hook.accepted)
    assert "講師の都合" not in text and "大雨" not in text and "メモ入り" not in text


def test_engagement_opened_and_closed(napp, hook):
    subscribe(hook, events=["engagement.opened", "engagement.closed"])
    liaison = make_liaison()
    eng = create_engagement(liaison, municipality=municipality("佐用町"), title="伴走",
                            experts=[make_expert()], now=OPEN)
    db.session.commit()
    close_engagement(eng, liaison, achievement="stopped", outcome="内部の所見", now=OPEN)
    db.session.commit()
    drain(now=OPEN)
    got = delivered(hook)
    assert [t for t, _d in got] == ["engagement.opened", "engagement.closed"]
    for _t, data in got:
        assert data["engagement_id"] == eng.id
        assert data["engagement_url"] == f"/api/v1/engagements/{eng.id}"
    assert "内部の所見" not in hook.accepted[1][1].decode()


def test_round_recorded_and_round_notices(napp, hook):
    subscribe(hook, events=["round.recorded", "round.overdue", "round.due"])
    liaison = make_liaison("西播磨")
    rec = rounds_svc.record_round(liaison, municipality("佐用町"),
                                  held_on=OPEN.astimezone(JST).date(), start_time=time(9),
                                  end_time=time(9, 30), progress="取組", issues="課題",
                                  now=OPEN)
    db.session.commit()
    send_round_notices(now=OPEN)  # the region's other municipalities were never visited
    db.session.commit()
    drain(now=OPEN)
    got = delivered(hook)
    recorded = [d for t, d in got if t == "round.recorded"]
    assert recorded == [{"round_record_id": rec.id, "visit_id": rec.visit_id,
                         "municipality_code": "28501", "visit": recorded[0]["visit"],
                         "round_record_url": f"/api/v1/round-records/{rec.id}"}]
    assert recorded[0]["visit"]["state"] == "held"
    overdue = {d["municipality_code"] for t, d in got if t == "round.overdue"}
    assert overdue and "28501" not in overdue
    assert all(d["due_on"] for t, d in got if t == "round.overdue")


def test_announcement_published_is_one_event_however_many_municipalities(napp, hook):
    sub = subscribe(hook, events=["announcement.published"])
    make_staff("佐用町", info_dept=True), make_staff("豊岡市", info_dept=True)
    a = compose_announcement(make_liaison(), title="補助金の募集", body="本文の詳細",
                             category="補助金・交付金", municipality_ids=[municipality("佐用町").id,
                                               municipality("豊岡市").id], now=OPEN)
    db.session.commit()
    rows = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.idempotency_key.like(f"evt-%-sub-{sub.id}"))).all()
    assert len(rows) == 1
    drain(now=OPEN)
    [(kind, data)] = delivered(hook)
    assert kind == "announcement.published"
    assert data["announcement"]["id"] == a.id and data["announcement"]["title"] == "補助金の募集"
    assert data["announcement"]["url"] == f"/api/v1/announcements/{a.id}"
    assert "本文の詳細" not in hook.accepted[0][1].decode()
