"""Accompaniment (伴走支援) engagements, their check-ins, and follow-ups opened from a visit record."""
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask_babel import gettext as _

from ... import calendar_jp, permissions
from ...extensions import db
from ...models import Engagement, EngagementContact, Visit, VisitFollowUp
from ...models.engagement import (ACHIEVEMENTS_WITH_RESULTS, Achievement, EngagementState)
from ...notifications import notify
from ...roles import Role
from ...timeutil import JST, utcnow
from ...workflow import Action, State
from .. import ValidationFailed
from ..requests.filing import create_request, may_be_parent
from ..requests.transitions import apply_action, record_event

logger = logging.getLogger(__name__)

FOLLOW_UP_REQUEST_KINDS = ("accompaniment", "consultation")
# Requests nobody works on: no engagement starts from them.
NOT_WORKED_STATES = (State.DRAFT, State.WITHDRAWN, State.DECLINED)


def can_open_engagement(sreq, user):
    """Whether the request page offers `user` to start an engagement from `sreq`."""
    return (sreq.state not in NOT_WORKED_STATES
            and permissions.can(user, "manage", "engagement")
            and permissions.can(user, "view", sreq))


def create_engagement(actor, *, municipality, title, goal="", cadence_days=30, ends_on=None,
                      owner=None, experts=(), sreq=None, lecture_visit=None, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", "engagement")
    if not (title or "").strip():
        raise ValidationFailed(_("件名を入力してください。"), field="title")
    if not cadence_days or cadence_days < 1:
        raise ValidationFailed(_("確認の間隔は1日以上で入力してください。"), field="cadence_days")
    starts_on = now.astimezone(JST).date()
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed(_("終了予定日は今日以降にしてください。"), field="ends_on")
    eng = Engagement(municipality=municipality, title=title.strip(), goal=goal or "",
                     cadence_days=cadence_days, starts_on=starts_on, ends_on=ends_on,
                     owner=owner or actor, experts=list(experts), sreq=sreq,
                     lecture_visit=lecture_visit, created_by_id=actor.id, created_at=now,
                     state=EngagementState.ACTIVE.value)
    db.session.add(eng)
    db.session.flush()
    if sreq is not None:
        record_event(sreq, actor, "engagement", action="engagement_opened",
                     data={"engagement_id": eng.id}, now=now)
    notify("engagement.opened", sreq=sreq, recipients=eng.attendees, actor=actor, now=now,
           engagement_id=eng.id, municipality_ids=[municipality.id],
           link=f"/visits/engagements/{eng.id}")
    logger.info("engagement %s opened by user %s", eng.id, actor.id)
    return eng


def log_contact(eng, actor, *, at, summary, now=None):
    """A check-in without a visit (a call, mail, online chat)."""
    now = now or utcnow()
    permissions.require(actor, "log_contact", eng)
    if not eng.is_active:
        raise ValidationFailed(_("終了した伴走支援には記録できません。"), field="summary")
    if not (summary or "").strip():
        raise ValidationFailed(_("内容を入力してください。"), field="summary")
    if at is None or at > now:
        raise ValidationFailed(_("日時は現在以前にしてください。"), field="at")
    contact = EngagementContact(engagement=eng, at=at, by_id=actor.id, summary=summary.strip())
    db.session.add(contact)
    db.session.flush()
    return contact


def close_engagement(eng, actor, *, achievement=None, put_in_place="", next_steps="", outcome="",
                     now=None):
    """Close with the outcome: 目標の達成度 (Achievement), what was put in place (needed when the
    goal was reached at least in part), what follows, and free remarks."""
    now = now or utcnow()
    permissions.require(actor, "manage", eng)
    if not eng.is_active:
        raise ValidationFailed(_("この伴走支援は既に終了しています。"), field="achievement")
    if achievement not in set(Achievement):
        raise ValidationFailed(_("目標の達成度を選んでください。"), field="achievement")
    put_in_place, next_steps = (put_in_place or "").strip(), (next_steps or "").strip()
    if achievement in ACHIEVEMENTS_WITH_RESULTS and not put_in_place:
        raise ValidationFailed(_("導入したものを入力してください。"), field="put_in_place")
    eng.state, eng.closed_at = EngagementState.CLOSED.value, now
    eng.achievement = Achievement(achievement).value
    eng.put_in_place, eng.next_steps = put_in_place or None, next_steps or None
    eng.outcome = (outcome or "").strip() or None
    if eng.sreq is not None:
        record_event(eng.sreq, actor, "engagement", action="engagement_closed",
                     data={"engagement_id": eng.id, "achievement": eng.achievement},
                     note=eng.outcome, now=now)
    notify("engagement.closed", sreq=eng.sreq, recipients=eng.attendees, actor=actor, now=now,
           engagement_id=eng.id, municipality_ids=[eng.municipality_id])
    db.session.flush()
    return eng


def municipality_engagements(m, user):
    """The municipality's engagements that `user` may see, newest first, each with its
    check-ins (oldest first): two queries whatever their number."""
    engs = db.session.scalars(permissions.scope_engagements(
        sa.select(Engagement).options(selectinload(Engagement.contacts)
                                      .joinedload(EngagementContact.by))
        .where(Engagement.municipality_id == m.id)
        .order_by(Engagement.starts_on.desc(), Engagement.id.desc()), user)).all()
    visits = defaultdict(list)
    if engs:
        for v in db.session.scalars(sa.select(Visit).where(
                Visit.engagement_id.in_([e.id for e in engs]),
                Visit.state.in_(("confirmed", "held")))):
            visits[v.engagement_id].append(v)
    return [(e, _timeline(visits[e.id], e.contacts)) for e in engs]


def _timeline(visits, contacts):
    items = [{"at": v.starts_at, "kind": "visit", "visit": v, "held": v.state == "held"}
             for v in visits]
    items += [{"at": c.at, "kind": "contact", "contact": c, "held": True} for c in contacts]
    return sorted(items, key=lambda i: i["at"])


def checkin_timeline(eng):
    """Check-ins over time, oldest first: held/confirmed visits and logged contacts."""
    visits = db.session.scalars(sa.select(Visit).where(
        Visit.engagement_id == eng.id, Visit.state.in_(("confirmed", "held")))).all()
    return _timeline(visits, eng.contacts)


def last_checkin_dates(engagement_ids):
    """{engagement id: date of the latest held visit or logged contact} in two aggregate queries."""
    if not engagement_ids:
        return {}
    out = {}
    rows = db.session.execute(sa.select(Visit.engagement_id, sa.func.max(Visit.starts_at))
                              .where(Visit.engagement_id.in_(engagement_ids),
                                     Visit.state == "held").group_by(Visit.engagement_id))
    rows = list(rows) + list(db.session.execute(
        sa.select(EngagementContact.engagement_id, sa.func.max(EngagementContact.at))
        .where(EngagementContact.engagement_id.in_(engagement_ids))
        .group_by(EngagementContact.engagement_id)))
    for eid, at in rows:
        if at is None:
            continue
        if not isinstance(at, datetime) or at.tzinfo is None:
            # max() bypasses the column type: SQLite hands back a naive string or datetime.
            at = datetime.fromisoformat(str(at)).replace(tzinfo=UTC)
        day = at.astimezone(JST).date()
        out[eid] = max(out.get(eid, day), day)
    return out


def next_checkin_due(eng, last=None):
    """The date the next check-in is due: the cadence after the last check-in (or the start),
    moved on to the next business day when that falls on a weekend, holiday or the year-end
    closure (nobody visits or calls a town hall that is closed)."""
    if last is None:
        last = last_checkin_dates([eng.id]).get(eng.id)
    due = (last or eng.starts_on) + timedelta(days=eng.cadence_days)
    return calendar_jp.next_business_day(due)


def open_followup_request(visit, actor, *, kind, title, body="", now=None):
    """A new request (accompaniment or consultation) from a visit's follow-up, in one step, through
    the filing services: filed push-type by the liaison, submitted (FY number, routing to the
    region's team, 情報部門 shared), taken (調整中), linked back to the visit. Its parent is the
    visit's request when that may be one (実施済・回答済・完了)."""
    now = now or utcnow()
    permissions.require(actor, "manage", visit)
    if kind not in FOLLOW_UP_REQUEST_KINDS:
        raise ValidationFailed(_("依頼の種類を選んでください。"), field="kind")
    if not (title or "").strip():
        raise ValidationFailed(_("件名を入力してください。"), field="title")
    # The record's follow-ups are the content when the liaison typed none.
    body = (body or "").strip() or (visit.record.follow_ups if visit.record else "")
    parent = visit.sreq if visit.sreq is not None and may_be_parent(visit.sreq) else None
    sreq = create_request(actor, kind, municipality_id=visit.municipalities[0].id, origin="push",
                          title=title.strip(), body=body, parent_id=parent.id if parent else None,
                          co_municipality_ids=[m.id for m in visit.municipalities[1:]],
                          submit=True, now=now)
    apply_action(sreq, Action.TRIAGE, actor, now=now)
    record_event(sreq, actor, "link", action="follow_up_of_visit",
                 data={"visit_id": visit.id, "parent_id": visit.request_id}, now=now)
    if visit.sreq is not None:
        record_event(visit.sreq, actor, "link", action="follow_up_opened",
                     data={"visit_id": visit.id, "request_id": sreq.id}, now=now)
    db.session.add(VisitFollowUp(visit_id=visit.id, request_id=sreq.id, created_by_id=actor.id,
                                 created_at=now))
    db.session.flush()
    return sreq


def open_followup_engagement(visit, actor, *, title, goal="", cadence_days=30, ends_on=None,
                             experts=None, now=None):
    """An accompaniment engagement from a visit's follow-up, linked back to the visit."""
    now = now or utcnow()
    permissions.require(actor, "manage", visit)
    if experts is None:
        experts = [u for u in visit.attendees if u.role == Role.EXPERT]
    eng = create_engagement(actor, municipality=visit.municipalities[0], title=title, goal=goal,
                            cadence_days=cadence_days, ends_on=ends_on, experts=experts,
                            sreq=visit.sreq,
                            lecture_visit=visit if visit.kind == "lecture" else None, now=now)
    db.session.add(VisitFollowUp(visit_id=visit.id, engagement_id=eng.id, created_by_id=actor.id,
                                 created_at=now))
    db.session.flush()
    return eng
