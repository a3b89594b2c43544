"""Scheduled visit work: each job run twice sends each notice once."""
from datetime import datetime, timedelta

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Engagement, Visit, VisitNotice
from supportdesk.services.visits.engagements import log_contact, open_followup_engagement
from supportdesk.services.visits.jobs import (remind_accompaniment_checkins,
                                             remind_upcoming_visits, request_satisfaction_due)
from supportdesk.services.visits.lifecycle import confirm_visit, create_visit, record_visit
from supportdesk.timeutil import JST
from tests.factories import make_expert, make_liaison, make_request, municipality

NOW = datetime(2025, 11, 1, 9, 0, tzinfo=JST)


def confirmed(liaison, start, sreq=None, experts=()):
    v = create_visit(liaison, kind="lecture", title="講座", starts_at=start,
                     ends_at=start + timedelta(hours=2), municipalities=[municipality("佐用町")],
                     attendees=list(experts), sreq=sreq, now=NOW - timedelta(days=30))
    confirm_visit(v, liaison, now=NOW - timedelta(days=30))
    db.session.commit()
    return v


def notices(kind):
    return db.session.scalars(sa.select(VisitNotice.visit_id).where(VisitNotice.kind == kind)).all()


def test_reminders_seven_days_and_one_day_before_once_each(app, caplog):
    liaison = make_liaison()
    expert = make_expert()
    in_ten = confirmed(liaison, NOW + timedelta(days=10), experts=[expert])
    in_five = confirmed(liaison, NOW + timedelta(days=5, hours=3))
    in_half = confirmed(liaison, NOW + timedelta(hours=12))
    caplog.set_level("INFO", logger="supportdesk.notifications")
    assert remind_upcoming_visits(NOW) == 2
    db.session.commit()
    assert remind_upcoming_visits(NOW) == 0  # the same run again sends nothing
    assert sorted(notices("remind_7d")) == [in_five.id]
    assert notices("remind_1d") == [in_half.id]
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("notify visit.")]
    assert len(sent) == 2
    # Three days later: the ten-day visit is now 7 days out, the five-day one 1 day out.
    later = NOW + timedelta(days=4, hours=4)
    assert remind_upcoming_visits(later) == 2
    db.session.commit()
    assert remind_upcoming_visits(later) == 0
    assert sorted(notices("remind_7d")) == sorted([in_five.id, in_ten.id])
    assert sorted(notices("remind_1d")) == sorted([in_half.id, in_five.id])


def test_satisfaction_requested_once_per_held_lecture(app):
    liaison = make_liaison()
    sreq = make_request(kind="lecture", state="triage")
    v = confirmed(liaison, NOW - timedelta(days=1), sreq=sreq)
    confirmed(liaison, NOW - timedelta(days=2))  # held? no: never recorded, so never asked
    assert request_satisfaction_due(NOW) == 0
    record_visit(v, liaison, covered="講義", now=NOW)
    db.session.commit()
    assert request_satisfaction_due(NOW) == 1
    db.session.commit()
    assert request_satisfaction_due(NOW + timedelta(hours=1)) == 0
    assert notices("satisfaction") == [v.id]


def test_accompaniment_checkin_reminder_once_per_due_date(app):
    liaison = make_liaison()
    sreq = make_request(kind="lecture", state="triage")
    v = confirmed(liaison, NOW - timedelta(days=1), sreq=sreq)
    record_visit(v, liaison, covered="講義", now=NOW)
    eng = open_followup_engagement(v, liaison, title="RPA導入の伴走", cadence_days=30, now=NOW)
    db.session.commit()
    assert remind_accompaniment_checkins(NOW + timedelta(days=29)) == 0
    due = NOW + timedelta(days=30)
    assert remind_accompaniment_checkins(due) == 1
    db.session.commit()
    assert remind_accompaniment_checkins(due + timedelta(days=1)) == 0
    # A check-in resets the clock: the next reminder is a cadence after it.
    log_contact(eng, liaison, at=due + timedelta(days=2), summary="電話で進捗確認",
                now=due + timedelta(days=2))
    db.session.commit()
    assert remind_accompaniment_checkins(due + timedelta(days=31)) == 0
    # 30 days after the contact is 2026-01-02, in the year-end closure: due on Monday 1/5.
    assert remind_accompaniment_checkins(due + timedelta(days=32)) == 0
    assert remind_accompaniment_checkins(datetime(2026, 1, 5, 9, 0, tzinfo=JST)) == 1


def test_demo_visits_seed_is_idempotent(app, runner):
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    def counts():
        return (db.session.query(Visit).filter(Visit.kind != "round").count(),
                db.session.query(Visit).count(), db.session.query(Engagement).count())

    first = counts()
    # The visit demo's two lectures (one held, with an engagement), and the visits of the demo
    # lecture and accompaniment requests that reached 日程確定 (two of them held).
    assert first[0] == 6 and first[2] == 1
    assert db.session.query(Visit).filter(Visit.kind != "round", Visit.state == "held").count() == 3
    runner.invoke(args=["seed", "--demo"])
    assert counts() == first
