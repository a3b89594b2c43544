"""Accompaniment engagements and follow-ups opened from a visit record."""
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RequestEvent, VisitFollowUp
from supportdesk.permissions import PermissionDenied
from supportdesk.services import ValidationFailed
from supportdesk.services.visits.engagements import (checkin_timeline, close_engagement, log_contact,
                                              next_checkin_due, open_followup_engagement,
                                              open_followup_request)
from supportdesk.services.visits.lifecycle import confirm_visit, create_visit, record_visit
from supportdesk.timeutil import JST
from tests.factories import make_expert, make_liaison, make_request, municipality

NOW = datetime(2025, 11, 10, 15, 0, tzinfo=JST)


def held_lecture(liaison, expert, sreq):
    v = create_visit(liaison, kind="lecture", title="講座", starts_at=NOW - timedelta(hours=4),
                     ends_at=NOW - timedelta(hours=2), municipalities=[municipality("佐用町")],
                     attendees=[expert], sreq=sreq, now=NOW - timedelta(days=20))
    confirm_visit(v, liaison, now=NOW - timedelta(days=20))
    record_visit(v, liaison, covered="講義", follow_ups="伴走支援へ", now=NOW)
    db.session.commit()
    return v


def test_follow_up_request_is_opened_in_one_step_and_linked(app):
    liaison, expert = make_liaison(), make_expert()
    sreq = make_request(kind="lecture", state="triage")
    v = held_lecture(liaison, expert, sreq)
    with pytest.raises(ValidationFailed):
        open_followup_request(v, liaison, kind="lecture", title="x", now=NOW)
    new = open_followup_request(v, liaison, kind="accompaniment", title="RPA導入の伴走",
                                body="講座の続き", now=NOW)
    db.session.commit()
    assert new.parent_id == sreq.id and new.state == "triage" and new.number
    assert new.origin == "push" and new.assignee_id == liaison.id
    link = db.session.scalar(sa.select(VisitFollowUp).where(VisitFollowUp.visit_id == v.id))
    assert link.request_id == new.id
    actions = db.session.scalars(sa.select(RequestEvent.action).where(
        RequestEvent.request_id == sreq.id)).all()
    assert "follow_up_opened" in actions
    with pytest.raises(PermissionDenied):
        open_followup_request(v, expert, kind="consultation", title="x", now=NOW)


def test_engagement_check_in_flow(app):
    liaison, expert = make_liaison(), make_expert()
    sreq = make_request(kind="lecture", state="triage")
    v = held_lecture(liaison, expert, sreq)
    eng = open_followup_engagement(v, liaison, title="RPA導入の伴走", goal="3業務を自動化",
                                   cadence_days=30, ends_on=date(2026, 3, 31), now=NOW)
    db.session.commit()
    assert eng.lecture_visit_id == v.id and eng.request_id == sreq.id
    assert [u.id for u in eng.experts] == [expert.id]
    assert next_checkin_due(eng) == date(2025, 12, 10)
    # A check-in visit, then a logged contact by the expert.
    checkin = create_visit(liaison, kind="accompaniment", title="進捗確認",
                           starts_at=NOW + timedelta(days=20),
                           ends_at=NOW + timedelta(days=20, hours=1),
                           municipalities=[eng.municipality], attendees=[expert], engagement=eng,
                           now=NOW)
    confirm_visit(checkin, liaison, now=NOW)
    record_visit(checkin, expert, covered="進捗", now=NOW + timedelta(days=20, hours=2))
    log_contact(eng, expert, at=NOW + timedelta(days=25), summary="メールで確認",
                now=NOW + timedelta(days=26))
    db.session.commit()
    timeline = checkin_timeline(eng)
    assert [i["kind"] for i in timeline] == ["visit", "contact"]
    # 30 days after 12/5 is Sunday 2026-01-04 (and the year-end closure): the next business day.
    assert next_checkin_due(eng) == date(2026, 1, 5)
    with pytest.raises(ValidationFailed):
        close_engagement(eng, liaison, outcome="3業務で自動化を達成", now=NOW)  # no 達成度
    close_engagement(eng, liaison, achievement="achieved", put_in_place="RPA(3業務)",
                     outcome="3業務で自動化を達成", now=NOW + timedelta(days=90))
    db.session.commit()
    assert eng.state == "closed" and eng.outcome == "3業務で自動化を達成"
    assert (eng.achievement, eng.put_in_place) == ("achieved", "RPA(3業務)")
    with pytest.raises(ValidationFailed):
        log_contact(eng, liaison, at=NOW, summary="x", now=NOW + timedelta(days=91))
