"""Scheduler bookkeeping: the leader lease, the record of every job run, and sent-notice markers."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

JOB_OUTCOMES = ("running", "ok", "failed", "skipped")


class SchedulerLease(db.Model):
    """The leader lock: one row per lock name; whoever holds an unexpired row runs the jobs."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    acquired_at: Mapped[object] = mapped_column(UTCDateTime)
    renewed_at: Mapped[object] = mapped_column(UTCDateTime)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)


class JobRun(db.Model):
    """One run of one scheduled job: when, by which scheduler process, the outcome and the count."""

    __tablename__ = "job_runs"
    __table_args__ = (
        sa.CheckConstraint("outcome IN ('running', 'ok', 'failed', 'skipped')", name="outcome"),
        sa.Index("ix_job_runs_job_started", "job_name", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(sa.String(60))
    holder: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    started_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(10), default="running")
    items: Mapped[int] = mapped_column(default=0)
    detail: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)


class SentNotice(db.Model):
    """A notice a job has sent, keyed so that running the job again sends nothing again."""

    __tablename__ = "sent_notices"
    __table_args__ = (sa.UniqueConstraint("kind", "key", name="uq_sent_notices_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # request.escalated, round.due, round.overdue ...
    kind: Mapped[str] = mapped_column(sa.String(40))
    # What the notice is about, e.g. "request:12" or "municipality:5:2026-04-01".
    key: Mapped[str] = mapped_column(sa.String(120))
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    sent_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
