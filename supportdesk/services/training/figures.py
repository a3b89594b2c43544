"""The training figures the desk can vouch for: completions per municipality and per course,
and the totals per fiscal year (no staff counts by skill level are estimated: only recorded
completions and leaders are counted)."""
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import LeaderTrainee, Municipality, Region, TrainingApplication, TrainingCourse
from ...timeutil import JST, fiscal_year
from ...workflows.training import ApplicationStatus, CourseStatus, TraineeStatus

DONE = ApplicationStatus.COMPLETED.value


def fy_bounds(fy):
    """[start, end) of fiscal year `fy` as UTC-aware datetimes (1 April in Tokyo)."""
    return (datetime.combine(date(fy, 4, 1), time(), JST),
            datetime.combine(date(fy + 1, 4, 1), time(), JST))


def completions_by_municipality(fy, municipality_ids=None):
    """[(municipality, completions, people)] for completions recorded in `fy`, every
    municipality listed (zero included), in region and code order."""
    start, end = fy_bounds(fy)
    counts = sa.select(TrainingApplication.municipality_id.label("mid"),
                       sa.func.count(TrainingApplication.id).label("n"),
                       sa.func.count(sa.distinct(TrainingApplication.user_id)).label("people")) \
        .where(TrainingApplication.status == DONE, TrainingApplication.completed_at >= start,
               TrainingApplication.completed_at < end) \
        .group_by(TrainingApplication.municipality_id).subquery()
    stmt = sa.select(Municipality, sa.func.coalesce(counts.c.n, 0),
                     sa.func.coalesce(counts.c.people, 0)).join(Region).outerjoin(
        counts, counts.c.mid == Municipality.id).order_by(Region.sort_order, Municipality.code)
    if municipality_ids is not None:
        stmt = stmt.where(Municipality.id.in_(municipality_ids))
    return [tuple(r) for r in db.session.execute(stmt)]


def completions_by_course(fy):
    """[(course, applications, seats, waiting, completed)] for the courses starting in `fy`."""
    a = TrainingApplication
    stmt = sa.select(
        TrainingCourse,
        sa.func.count(a.id),
        sa.func.count(a.id).filter(a.status.in_(["confirmed", "completed"])),
        sa.func.count(a.id).filter(a.status == "waitlisted"),
        sa.func.count(a.id).filter(a.status == DONE),
    ).outerjoin(a, a.course_id == TrainingCourse.id).where(
        TrainingCourse.status != CourseStatus.DRAFT.value,
        TrainingCourse.starts_on >= date(fy, 4, 1), TrainingCourse.starts_on < date(fy + 1, 4, 1)
    ).group_by(TrainingCourse.id).order_by(TrainingCourse.starts_on, TrainingCourse.id)
    return [tuple(r) for r in db.session.execute(stmt)]


def municipality_completions(municipality_id):
    """[(fiscal year, course, person, completed_at)] of the municipality, newest first."""
    rows = db.session.scalars(sa.select(TrainingApplication).options(
        joinedload(TrainingApplication.course), joinedload(TrainingApplication.user)).where(
        TrainingApplication.municipality_id == municipality_id,
        TrainingApplication.status == DONE).order_by(
        TrainingApplication.completed_at.desc(), TrainingApplication.id.desc()).limit(200)).all()
    return [(fiscal_year(r.completed_at), r.course, r.user, r.completed_at) for r in rows]


def fiscal_totals():
    """Per fiscal year (newest first): courses held, applications, completions, the
    municipalities with at least one completion, and 市町DX推進リーダー who completed."""
    a, c = TrainingApplication, TrainingCourse
    out = {}
    course_rows = db.session.execute(sa.select(c.id, c.starts_on).where(
        c.status == CourseStatus.PUBLISHED.value)).all()
    course_fy = {cid: fiscal_year(d) for cid, d in course_rows}
    for cid, fy in course_fy.items():
        out.setdefault(fy, _empty())["courses"] += 1
    for cid, status, mid, completed_at in db.session.execute(
            sa.select(a.course_id, a.status, a.municipality_id, a.completed_at)):
        if cid in course_fy and status not in ("rejected", "cancelled"):
            out.setdefault(course_fy[cid], _empty())["applications"] += 1
        if status == DONE and completed_at is not None:
            row = out.setdefault(fiscal_year(completed_at), _empty())
            row["completions"] += 1
            row["municipalities"].add(mid)
    for completed_at, in db.session.execute(sa.select(LeaderTrainee.completed_at).where(
            LeaderTrainee.status == TraineeStatus.COMPLETED.value)):
        out.setdefault(fiscal_year(completed_at), _empty())["leaders"] += 1
    return [dict(fy=fy, **{k: (len(v) if isinstance(v, set) else v) for k, v in row.items()})
            for fy, row in sorted(out.items(), reverse=True)]


def _empty():
    return {"courses": 0, "applications": 0, "completions": 0, "municipalities": set(),
            "leaders": 0}
