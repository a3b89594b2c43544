"""Calendar data: the visits in a date range for a user, and the personal iCalendar feed."""
import hashlib
import secrets
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ... import permissions
from ...extensions import db
from ...links import absolute
from ...models import CalendarFeedToken, Municipality, Visit
from ...models.visit import VISIT_KINDS, visit_attendees, visit_municipalities
from ...timeutil import JST, utcnow
from ..desk import desk, ics_prodid
from .round_plans import planned_between

SHOWN_STATES = ("proposed", "confirmed", "held")
FEED_PAST_DAYS, FEED_FUTURE_DAYS = 90, 400


def visits_between(user, start_day, end_day, *, region_id=None, person_id=None,
                   states=SHOWN_STATES):
    """Visits the user may see starting on [start_day, end_day) (Tokyo dates), ordered by start."""
    lo = datetime.combine(start_day, time(), tzinfo=JST)
    hi = datetime.combine(end_day, time(), tzinfo=JST)
    stmt = (sa.select(Visit).where(Visit.starts_at >= lo, Visit.starts_at < hi,
                                   Visit.state.in_(states)).order_by(Visit.starts_at, Visit.id)
            .options(selectinload(Visit.municipalities), selectinload(Visit.liaison)))
    stmt = permissions.scope_visits(stmt, user)
    if region_id:
        in_region = (sa.select(visit_municipalities.c.visit_id)
                     .join(Municipality, Municipality.id == visit_municipalities.c.municipality_id)
                     .where(Municipality.region_id == region_id))
        stmt = stmt.where(Visit.id.in_(in_region))
    if person_id:
        attending = sa.select(visit_attendees.c.visit_id).where(
            visit_attendees.c.user_id == person_id)
        stmt = stmt.where(sa.or_(Visit.id.in_(attending), Visit.liaison_id == person_id))
    return db.session.scalars(stmt).all()


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def current_feed_token(user):
    return db.session.scalar(sa.select(CalendarFeedToken).where(
        CalendarFeedToken.user_id == user.id, CalendarFeedToken.revoked_at.is_(None)))


def rotate_feed_token(user, *, now=None):
    """A new secret feed token (the old one stops working). Returns the clear token, shown once."""
    now = now or utcnow()
    revoke_feed_token(user, now=now)
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarFeedToken(user_id=user.id, token_hash=_hash(token), created_at=now))
    db.session.flush()
    return token


def revoke_feed_token(user, *, now=None):
    now = now or utcnow()
    for row in db.session.scalars(sa.select(CalendarFeedToken).where(
            CalendarFeedToken.user_id == user.id, CalendarFeedToken.revoked_at.is_(None))):
        row.revoked_at = now
    db.session.flush()


def user_for_feed_token(token):
    """The active user a live token belongs to, or None (unknown, revoked, deactivated)."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(sa.select(CalendarFeedToken).where(
        CalendarFeedToken.token_hash == _hash(token), CalendarFeedToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    return row.user




def uid_domain():
    """The events' UID domain: it never changes with the host name a feed was fetched through,
    so calendar apps keep recognising the same events (one per prefecture pack)."""
    return f"supportdesk.dx-desk.{desk().pack}"


def build_feed(user, *, now=None):
    """The user's visits as iCalendar text with Asia/Tokyo times (VTIMEZONE included), the
    planned rounds the user may see as all-day entries, and the meetings they are invited to."""
    now = now or utcnow()
    today = now.astimezone(JST).date()
    visits = visits_between(user, today - timedelta(days=FEED_PAST_DAYS),
                            today + timedelta(days=FEED_FUTURE_DAYS),
                            states=("proposed", "confirmed", "held", "cancelled", "postponed"))
    from icalendar import Calendar, Event  # lazy: only the feed needs it

    cal = Calendar()
    cal.add("prodid", ics_prodid())
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{desk().desk_name}({user.display_name})")
    cal.add("x-wr-timezone", "Asia/Tokyo")
    for v in visits:
        ev = Event()
        ev.add("uid", f"visit-{v.id}@{uid_domain()}")
        ev.add("dtstamp", now)
        ev.add("dtstart", v.starts_at.astimezone(JST))
        ev.add("dtend", v.ends_at.astimezone(JST))
        munis = "・".join(m.name for m in v.municipalities)
        ev.add("summary", f"[{VISIT_KINDS[v.kind]}] {v.title}({munis})")
        if v.venue:
            ev.add("location", v.venue)
        desc = [f"訪問先: {munis}"]
        if v.online_details:
            desc.append(f"オンライン: {v.online_details}")
        if v.liaison is not None:
            desc.append(f"リエゾン: {v.liaison.display_name}")
        ev.add("description", "\n".join(desc))
        ev.add("status", {"proposed": "TENTATIVE", "confirmed": "CONFIRMED", "held": "CONFIRMED"}
               .get(v.state, "CANCELLED"))
        # The visit's page, on the host name of the feed owner's network.
        ev.add("url", absolute(f"/visits/{v.id}", user))
        ev.add("sequence", v.version)
        ev.add("last-modified", v.updated_at)
        cal.add_component(ev)
    for p in planned_between(user, today - timedelta(days=FEED_PAST_DAYS),
                             today + timedelta(days=FEED_FUTURE_DAYS)):
        ev = Event()
        ev.add("uid", f"planned-round-{p.id}@{uid_domain()}")
        ev.add("dtstamp", now)
        ev.add("dtstart", p.planned_on)  # a date: an all-day entry
        ev.add("dtend", p.planned_on + timedelta(days=1))
        ev.add("summary", f"[定期巡回予定] {p.municipality.name}")
        ev.add("transp", "TRANSPARENT")
        ev.add("last-modified", p.updated_at)
        cal.add_component(ev)
    from ..meetings.meetings import feed_meetings, meeting_event

    for m in feed_meetings(user, today - timedelta(days=FEED_PAST_DAYS),
                           today + timedelta(days=FEED_FUTURE_DAYS)):
        cal.add_component(meeting_event(m, now))
    cal.add_missing_timezones()
    return cal.to_ical()


def month_grid(day):
    """Weeks (Monday first) covering the month of `day`: a list of 7-date lists."""
    first = day.replace(day=1)
    start = first - timedelta(days=first.weekday())
    next_month = (first + timedelta(days=32)).replace(day=1)
    weeks = []
    current = start
    while current < next_month:
        weeks.append([current + timedelta(days=i) for i in range(7)])
        current += timedelta(days=7)
    return weeks


def week_days(day):
    start = day - timedelta(days=day.weekday())
    return [start + timedelta(days=i) for i in range(7)]


def parse_day(text, default):
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default
