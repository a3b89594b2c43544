"""Frozen monthly reports: the scheduler freezes last month on the 1st at 08:00 JST."""
import logging
from datetime import datetime

import sqlalchemy as sa

from ...extensions import db
from ...models import ReportSnapshot
from ...notifications import notify
from ...timeutil import JST, utcnow
from .monthly import build_monthly_report, frozen_scalars, latest_snapshot
from .figures import month_period, previous_month

logger = logging.getLogger(__name__)
SNAPSHOT_HOUR = 8


def freeze_monthly_report(year, month, actor=None, reason=None, now=None):
    """Store the report's figures as a new snapshot version; earlier versions stay."""
    period = f"{year:04d}-{month:02d}"
    latest = db.session.scalar(sa.select(sa.func.max(ReportSnapshot.version))
                               .where(ReportSnapshot.period == period)) or 0
    snap = ReportSnapshot(period=period, version=latest + 1, created_at=now or utcnow(),
                          created_by_id=actor.id if actor else None, reason=reason,
                          figures=build_monthly_report(year, month))
    db.session.add(snap)
    db.session.flush()
    logger.info("report snapshot %s v%s by %s", period, snap.version, getattr(actor, "id", None))
    return snap


def snapshot_due(now=None):
    """Job: freeze last month once, from the 1st at 08:00 JST; running it again does nothing."""
    now = now or utcnow()
    local = now.astimezone(JST)
    if local < datetime(local.year, local.month, 1, SNAPSHOT_HOUR, tzinfo=JST):
        year, month = previous_month(local.year, local.month)
        year, month = previous_month(year, month)
    else:
        year, month = previous_month(local.year, local.month)
    period = f"{year:04d}-{month:02d}"
    if db.session.scalar(sa.select(ReportSnapshot.id).where(ReportSnapshot.period == period).limit(1)):
        return 0
    snap = freeze_monthly_report(year, month, reason="scheduled", now=now)
    notify("report.ready", now=now, period=period, snapshot_id=snap.id)
    return 1


def snapshots_for(period):
    """The month's frozen versions, newest first, for their list (their figures, a large JSON
    document each, are loaded only when read)."""
    return db.session.scalars(sa.select(ReportSnapshot).where(ReportSnapshot.period == period)
                              .options(sa.orm.defer(ReportSnapshot.figures))
                              .order_by(ReportSnapshot.version.desc())).all()


def monthly_report(year, month, region_ids=None, *, now=None, live=False):
    """(report, snapshot) for the monthly page and its exports. A closed month's figures come
    from its newest snapshot when the report covers every region (snapshot is then that
    version); otherwise, or with live=True, they are computed (snapshot None). A snapshot frozen
    before one of today's figures existed is not used."""
    now = now or utcnow()
    if not live and region_ids is None and month_period(year, month).end <= now:
        snap = latest_snapshot(year, month)
        if snap is not None and frozen_scalars(snap.figures) is not None \
                and set(REPORT_KEYS) <= set(snap.figures):
            return snap.figures, snap
    return build_monthly_report(year, month, region_ids), None


# What a snapshot must hold to stand in for the computed report on the page.
REPORT_KEYS = ("period", "sections", "by_kind", "by_theme", "by_region", "by_municipality",
               "declined", "withdrawn", "lectures_by_program", "lectures_by_format",
               "participants_by_role", "lectures_by_audience", "participants_by_audience",
               "visits_by_kind", "reach", "support_by_kind", "bridges", "expert_dispatches",
               "push_information")
