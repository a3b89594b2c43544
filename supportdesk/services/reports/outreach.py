"""Monthly report figures about outreach: lecture participants and satisfaction, accompaniment
engagements and periodic-round coverage. Each is one SQL aggregate (no rows loaded)."""
from datetime import timedelta

import sqlalchemy as sa

from ...extensions import db
from ...models import Engagement, Municipality, Region, RegionMembership, SupportRequest, Visit
from ...models.engagement import Achievement
from ...models.support_request import AUDIENCES
from ...models.visit import (SatisfactionResponse, SatisfactionSource, VisitRecord,
                             visit_municipalities)
from .figures import _held_visits, month_period
from ..regions import member_ids_at_end
from ..visits.rounds import cycle_bounds

# VisitRecord attendance columns, by the package's audience groups.
ROLE_COLUMNS = {"executives": VisitRecord.attendees_executives,
                "business": VisitRecord.attendees_business,
                "information": VisitRecord.attendees_information,
                "other": VisitRecord.attendees_other}
ROLE_LABELS = {**AUDIENCES, "other": "その他"}


def _sum(col):
    return sa.func.coalesce(sa.func.sum(col), 0)


def satisfaction(period, region_ids):
    """Ratings of the lectures held in the period: responses, average and share of 4-5 (%),
    in all and by who answered (the municipality's staff, or participants through the link)."""
    held = _held_visits(period, region_ids, kind="lecture")
    rows = db.session.execute(
        sa.select(SatisfactionResponse.source, sa.func.count(SatisfactionResponse.id),
                  sa.func.sum(SatisfactionResponse.rating),
                  sa.func.count(sa.case((SatisfactionResponse.rating >= 4, 1))))
        .where(SatisfactionResponse.visit_id.in_(held))
        .group_by(SatisfactionResponse.source)).all()
    by_source = {source.value: {"responses": 0, "average": None} for source in SatisfactionSource}
    n = total = top = 0
    for source, count, rating_sum, top_count in rows:
        by_source[source] = {"responses": count, "average": round(float(rating_sum) / count, 2)}
        n, total, top = n + count, total + rating_sum, top + top_count
    if not n:
        return {"responses": 0, "average": None, "top_share": None, "by_source": by_source}
    return {"responses": n, "average": round(float(total) / n, 2), "top_share": round(100 * top / n, 1),
            "by_source": by_source}


def participants(period, region_ids):
    """Municipal-side participants of the lectures held in the period, from their records:
    the total, by role, and lectures and participants by the audience the request asked for."""
    held = _held_visits(period, region_ids, kind="lecture")
    total = sum(ROLE_COLUMNS.values())
    row = db.session.execute(
        sa.select(_sum(total), *[_sum(c) for c in ROLE_COLUMNS.values()])
        .where(VisitRecord.visit_id.in_(held))).one()
    # One pass over the held lectures: a lecture counts under every audience its request named
    # (the formats LIKE trick: the JSON list as text contains the quoted key on both databases).
    audiences_text = sa.cast(SupportRequest.audiences, sa.Text)
    cols = []
    for key in AUDIENCES:
        named = audiences_text.like(f'%"{key}"%')
        cols += [sa.func.count(sa.case((named, Visit.id))),
                 _sum(sa.case((named, total), else_=0))]
    aud = db.session.execute(
        sa.select(*cols).select_from(Visit)
        .join(SupportRequest, SupportRequest.id == Visit.request_id)
        .outerjoin(VisitRecord, VisitRecord.visit_id == Visit.id)
        .where(Visit.id.in_(held))).one()
    return {"total": row[0],
            "by_role": {key: row[i + 1] for i, key in enumerate(ROLE_COLUMNS)},
            "by_audience": {key: {"lectures": aud[2 * i], "participants": aud[2 * i + 1]}
                            for i, key in enumerate(AUDIENCES)}}


def _engagements_in(region_ids, end):
    """Engagements of the municipalities in `region_ids` at the period's end (all without)."""
    stmt = sa.select(sa.func.count(Engagement.id))
    if region_ids is not None:
        stmt = stmt.where(Engagement.municipality_id.in_(member_ids_at_end(region_ids, end)))
    return stmt


def engagements(period, region_ids):
    """Accompaniment engagements active at the end of the period and opened in it.

    Active at month end: started on or before the month's last day and not closed before the
    month ended. ends_on is only the planned end: an engagement still open past it is active."""
    last_day = (period.end - timedelta(days=1)).date()
    active = db.session.scalar(_engagements_in(region_ids, period.end).where(
        Engagement.starts_on <= last_day,
        sa.or_(Engagement.closed_at.is_(None), Engagement.closed_at >= period.end)))
    opened = db.session.scalar(_engagements_in(region_ids, period.end).where(
        Engagement.starts_on >= period.start.date(), Engagement.starts_on <= last_day))
    return {"active": active or 0, "opened": opened or 0,
            "closed_by_achievement": closed_by_achievement(period, region_ids)}


def closed_by_achievement(period, region_ids):
    """Engagements closed in the period, by 目標の達成度 (every Achievement, zeros included;
    those closed before the 達成度 was recorded are left out)."""
    stmt = (_engagements_in(region_ids, period.end).add_columns(Engagement.achievement)
            .where(Engagement.closed_at >= period.start, Engagement.closed_at < period.end,
                   Engagement.achievement.is_not(None))
            .group_by(Engagement.achievement))
    counts = {a: n for n, a in db.session.execute(stmt)}
    return {a.value: counts.get(a.value, 0) for a in Achievement}


def round_coverage(year, month, region_ids):
    """Per region with a round plan: municipalities with a held round in the region's current
    cycle up to the end of the month (services.rounds: cycle = Region.round_cycle_months,
    aligned to the fiscal year), so the figure matches the coverage page as of month end. A
    region's municipalities are those it had at the end of the month (services/regions)."""
    period = month_period(year, month)
    members = (sa.select(RegionMembership.municipality_id.label("mid"),
                         RegionMembership.region_id.label("rid"))
               .where(sa.or_(RegionMembership.valid_from.is_(None),
                             RegionMembership.valid_from < period.end),
                      sa.or_(RegionMembership.valid_to.is_(None),
                             RegionMembership.valid_to >= period.end)).subquery())
    regions = sa.select(Region.id, Region.round_cycle_months).where(Region.has_liaison.is_(True))
    if region_ids is not None:
        regions = regions.where(Region.id.in_(region_ids))
    by_cycle = {}
    for rid, months in db.session.execute(regions):
        by_cycle.setdefault(months, []).append(rid)
    windows = []
    for months, rids in by_cycle.items():
        start, _next = cycle_bounds(period.start.date(), months)
        windows.append(sa.and_(members.c.rid.in_(rids),
                               Visit.starts_at >= month_period(start.year, start.month).start))
    if not windows:
        return []
    rounds = (sa.select(visit_municipalities.c.municipality_id)
              .join(Visit, Visit.id == visit_municipalities.c.visit_id)
              .join(members, members.c.mid == visit_municipalities.c.municipality_id)
              .where(Visit.kind == "round", Visit.state == "held", Visit.starts_at < period.end,
                     sa.or_(*windows)))
    stmt = (sa.select(Region.id, Region.name, Region.round_cycle_months,
                      sa.func.count(members.c.mid),
                      sa.func.count(sa.case((members.c.mid.in_(rounds), 1))))
            .join(members, members.c.rid == Region.id)
            .where(Region.has_liaison.is_(True))
            .group_by(Region.id, Region.name, Region.round_cycle_months, Region.sort_order)
            .order_by(Region.sort_order, Region.id))
    if region_ids is not None:
        stmt = stmt.where(Region.id.in_(region_ids))
    out = []
    for rid, name, months, total, visited in db.session.execute(stmt):
        start, nxt = cycle_bounds(period.start.date(), months)
        out.append(dict(region_id=rid, region=name, total=total, visited=visited,
                        cycle=f"{start:%Y/%m}–{nxt - timedelta(days=1):%Y/%m}"))
    return out


def push_information(period, region_ids):
    """Announcements sent in the period by category: how many, in-app recipients, how many read.

    Two grouped queries over announcements and their in-app rows; a liaison's view counts the
    announcements reaching their regions and the readers in those regions."""
    from ...models.announcement import (ANNOUNCEMENT_CATEGORIES, Announcement,
                                       AnnouncementRecipient)
    from ...models.notification import InAppNotification
    from ...models.user import User
    from ...workflows.announcements import AnnouncementStatus

    sent = sa.select(Announcement.id).where(Announcement.status == AnnouncementStatus.SENT.value,
                                            Announcement.sent_at >= period.start,
                                            Announcement.sent_at < period.end)
    reads = (sa.select(Announcement.category, sa.func.count(InAppNotification.id),
                       sa.func.count(InAppNotification.read_at))
             .join(InAppNotification, InAppNotification.announcement_id == Announcement.id))
    if region_ids is not None:
        in_regions = member_ids_at_end(region_ids, period.end)
        sent = sent.where(Announcement.id.in_(
            sa.select(AnnouncementRecipient.announcement_id)
            .where(AnnouncementRecipient.municipality_id.in_(in_regions))))
        reads = reads.join(User, User.id == InAppNotification.user_id).where(
            User.municipality_id.in_(in_regions))
    counts = dict(db.session.execute(
        sa.select(Announcement.category, sa.func.count()).where(Announcement.id.in_(sent))
        .group_by(Announcement.category)).all())
    read_rows = {c: (n, r) for c, n, r in db.session.execute(
        reads.where(Announcement.id.in_(sent)).group_by(Announcement.category))}
    out = []
    for category in ANNOUNCEMENT_CATEGORIES:
        recipients, read = read_rows.get(category, (0, 0))
        out.append({"category": category, "sent": counts.get(category, 0),
                    "recipients": recipients, "read": read,
                    "read_rate": round(100 * read / recipients, 1) if recipients else None})
    return out
