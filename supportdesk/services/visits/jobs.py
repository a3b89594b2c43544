"""Scheduled visit work: reminders, satisfaction requests, check-in reminders. Idempotent: a
sent-marker row per notice means running a job twice (or after downtime) sends nothing twice."""
import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Engagement, Visit, VisitNotice
from ...models.engagement import EngagementNotice, EngagementState
from ...notifications import notify
from ...timeutil import JST
from .engagements import last_checkin_dates, next_checkin_due
from .lifecycle import _context

logger = logging.getLogger(__name__)

REMINDERS = (("remind_1d", timedelta(days=1)), ("remind_7d", timedelta(days=7)))
LOAD_PEOPLE = (selectinload(Visit.attendees), selectinload(Visit.municipalities),
               selectinload(Visit.liaison))


def _sent(kind, visit_ids):
    if not visit_ids:
        return set()
    return set(db.session.scalars(sa.select(VisitNotice.visit_id).where(
        VisitNotice.kind == kind, VisitNotice.visit_id.in_(visit_ids))))


def remind_upcoming_visits(now):
    """7 days and 1 day before a confirmed visit, tell the attendees and the municipality.
    A visit inside one day gets only the 1-day reminder. Returns the notices sent."""
    horizon = now + REMINDERS[-1][1]
    visits = db.session.scalars(sa.select(Visit).where(
        Visit.state == "confirmed", Visit.starts_at > now, Visit.starts_at <= horizon)
        .order_by(Visit.starts_at).options(*LOAD_PEOPLE)).all()
    ids = [v.id for v in visits]
    sent = {kind: _sent(kind, ids) for kind, _delta in REMINDERS}
    count = 0
    for visit in visits:
        lead = visit.starts_at - now
        kind = next(k for k, delta in REMINDERS if lead <= delta)
        if visit.id in sent[kind]:
            continue
        db.session.add(VisitNotice(visit_id=visit.id, kind=kind, sent_at=now))
        notify(f"visit.{kind}", sreq=visit.sreq, visit=visit, now=now, **_context(visit))
        count += 1
    db.session.flush()
    logger.info("visit reminders: %d sent", count)
    return count


def request_satisfaction_due(now):
    """Ask each held lecture's filer for a rating, once per visit. Returns the requests sent."""
    asked = sa.select(VisitNotice.visit_id).where(VisitNotice.kind == "satisfaction")
    visits = db.session.scalars(sa.select(Visit).where(
        Visit.kind == "lecture", Visit.state == "held", Visit.request_id.is_not(None),
        Visit.starts_at <= now, Visit.id.not_in(asked))
        .options(*LOAD_PEOPLE, selectinload(Visit.sreq))).all()
    count = 0
    for visit in visits:
        db.session.add(VisitNotice(visit_id=visit.id, kind="satisfaction", sent_at=now))
        notify("visit.satisfaction_requested", sreq=visit.sreq,
               now=now, **_context(visit) | {"link": f"/visits/{visit.id}/satisfaction"})
        count += 1
    db.session.flush()
    logger.info("satisfaction requests: %d sent", count)
    return count


def remind_accompaniment_checkins(now):
    """Tell an engagement's owner and experts when a check-in falls due, once per due date."""
    today = now.astimezone(JST).date()
    engagements = db.session.scalars(sa.select(Engagement).where(
        Engagement.state == EngagementState.ACTIVE.value)).all()
    last = last_checkin_dates([e.id for e in engagements])
    sent = {(eid, due) for eid, due in db.session.execute(
        sa.select(EngagementNotice.engagement_id, EngagementNotice.due_on).where(
            EngagementNotice.engagement_id.in_([e.id for e in engagements])))}
    count = 0
    for eng in engagements:
        due = next_checkin_due(eng, last.get(eng.id))
        if due > today or (eng.id, due) in sent:
            continue
        db.session.add(EngagementNotice(engagement_id=eng.id, due_on=due, sent_at=now))
        notify("engagement.checkin_due", sreq=eng.sreq, recipients=eng.attendees, now=now,
               engagement_id=eng.id, due_on=due.isoformat(),
               municipality_ids=[eng.municipality_id], link=f"/visits/engagements/{eng.id}")
        count += 1
    db.session.flush()
    logger.info("check-in reminders: %d sent", count)
    return count
