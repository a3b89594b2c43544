"""Participation over a fiscal year: per series, who of each municipality came to how many of
its held meetings; per municipality, its participation in each series (the dossier and the
municipality sheet). SQL aggregates, one query each."""
from datetime import date, datetime, time

import sqlalchemy as sa

from ...extensions import db
from ...models import Meeting, MeetingInvitation, MeetingSeries, Municipality
from ...timeutil import JST
from ...workflows.meetings import Answer, MeetingStatus


def fy_bounds(fy):
    return (datetime.combine(date(fy, 4, 1), time(0), tzinfo=JST),
            datetime.combine(date(fy + 1, 4, 1), time(0), tzinfo=JST))


def _held_in(fy):
    lo, hi = fy_bounds(fy)
    return (Meeting.status == MeetingStatus.HELD.value, Meeting.starts_at >= lo,
            Meeting.starts_at < hi)


def held_count(series, fy):
    return db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(
        Meeting.series_id == series.id, *_held_in(fy))) or 0


def series_participation(series, fy):
    """[(municipality, meetings invited to, meetings attended, [names who came])] over the held
    meetings of the series in fiscal year `fy`, by municipality code."""
    inv = MeetingInvitation
    rows = db.session.execute(
        sa.select(Municipality, inv.meeting_id, inv.attended, inv.name, inv.substitute_name,
                  inv.answer)
        .join(inv, inv.municipality_id == Municipality.id)
        .join(Meeting, Meeting.id == inv.meeting_id)
        .where(Meeting.series_id == series.id, *_held_in(fy))
        .order_by(Municipality.code, inv.meeting_id, inv.id)).all()
    out = {}
    for m, meeting_id, attended, name, substitute, answer in rows:
        entry = out.setdefault(m.id, [m, set(), set(), []])
        entry[1].add(meeting_id)
        if attended:
            entry[2].add(meeting_id)
            who = substitute if answer == Answer.PROXY and substitute else name
            if who not in entry[3]:
                entry[3].append(who)
    return [(m, len(invited), len(came), names) for m, invited, came, names in out.values()]


def municipality_participation(municipality_id, fy):
    """[(series, held meetings it was invited to, meetings somebody attended)] for one
    municipality in fiscal year `fy`, by series."""
    inv = MeetingInvitation
    came = sa.func.max(sa.case((inv.attended.is_(True), 1), else_=0))
    per_meeting = (sa.select(Meeting.series_id.label("sid"), Meeting.id.label("mid"),
                             came.label("came"))
                   .join(inv, inv.meeting_id == Meeting.id)
                   .where(inv.municipality_id == municipality_id, *_held_in(fy))
                   .group_by(Meeting.series_id, Meeting.id).subquery())
    rows = db.session.execute(
        sa.select(MeetingSeries, sa.func.count(per_meeting.c.mid), sa.func.sum(per_meeting.c.came))
        .join(per_meeting, per_meeting.c.sid == MeetingSeries.id)
        .group_by(MeetingSeries.id).order_by(MeetingSeries.id)).all()
    return [(s, invited, int(attended or 0)) for s, invited, attended in rows]


def municipality_meetings(municipality_id, user, limit=20):
    """The meetings the municipality was invited to, as the user may see them, newest first."""
    from ... import permissions

    mine = sa.select(MeetingInvitation.meeting_id).where(
        MeetingInvitation.municipality_id == municipality_id)
    stmt = permissions.scope_meetings(sa.select(Meeting).where(
        Meeting.id.in_(mine), Meeting.status != MeetingStatus.PLANNED.value), user)
    return db.session.scalars(stmt.order_by(Meeting.starts_at.desc()).limit(limit)).all()
