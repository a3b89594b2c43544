"""Accompaniment (伴走支援): engagements, their logged contacts, and personal calendar feeds."""
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow


class EngagementState(StrEnum):
    ACTIVE = "active"  # 進行中
    CLOSED = "closed"  # 終了


ENGAGEMENT_STATES = {EngagementState.ACTIVE: N_("進行中"), EngagementState.CLOSED: N_("終了")}


class Achievement(StrEnum):
    """How far a closed engagement reached its goal (目標の達成度)."""
    ACHIEVED = "achieved"          # 達成
    PARTLY = "partly"              # 一部達成
    NOT_ACHIEVED = "not_achieved"  # 未達成
    STOPPED = "stopped"            # 中止


ACHIEVEMENTS = {Achievement.ACHIEVED: N_("達成"), Achievement.PARTLY: N_("一部達成"),
                Achievement.NOT_ACHIEVED: N_("未達成"), Achievement.STOPPED: N_("中止")}
# Something was put in place only when the goal was reached, at least in part.
ACHIEVEMENTS_WITH_RESULTS = (Achievement.ACHIEVED, Achievement.PARTLY)

engagement_experts = sa.Table(
    "engagement_experts",
    db.metadata,
    sa.Column("engagement_id", sa.ForeignKey("engagements.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True, index=True),
)


class Engagement(db.Model):
    """Continuous support of a municipality after a request or a lecture, with regular check-ins."""

    __tablename__ = "engagements"
    __table_args__ = (
        sa.CheckConstraint("state IN ('active', 'closed')", name="state"),
        sa.CheckConstraint("cadence_days > 0", name="cadence_positive"),
        sa.CheckConstraint("achievement IS NULL OR achievement IN "
                           "('achieved', 'partly', 'not_achieved', 'stopped')", name="achievement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    # Where it came from: the accompaniment request and/or the lecture visit.
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"), index=True)
    lecture_visit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("visits.id", use_alter=True, name="fk_engagements_lecture_visit_id_visits"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    goal: Mapped[str] = mapped_column(sa.Text, default="")
    cadence_days: Mapped[int] = mapped_column(default=30)
    starts_on: Mapped[object] = mapped_column(sa.Date)
    ends_on: Mapped[object | None] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(20), default=EngagementState.ACTIVE.value,
                                       index=True)
    # The outcome at closing: 達成度, what was put in place, what follows, and remarks.
    achievement: Mapped[str | None] = mapped_column(sa.String(20))
    put_in_place: Mapped[str | None] = mapped_column(sa.Text)
    next_steps: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    municipality = relationship("Municipality")
    sreq = relationship("SupportRequest")
    lecture_visit = relationship("Visit", foreign_keys=[lecture_visit_id])
    owner = relationship("User", foreign_keys=[owner_id])
    experts = relationship("User", secondary=engagement_experts)
    contacts = relationship("EngagementContact", back_populates="engagement",
                            order_by="EngagementContact.at", cascade="all, delete-orphan")
    permission_kind = "engagement"

    @property
    def is_active(self):
        return self.state == EngagementState.ACTIVE

    @property
    def attendees(self):
        """People working on it (the permission table's "self" scope for experts)."""
        return [self.owner, *self.experts]

    def scope_municipality_ids(self):
        return {self.municipality_id}

    def scope_region_ids(self):
        return {self.municipality.region_id}


class EngagementContact(db.Model):
    """A check-in that was not a visit: a call, a mail exchange, an online chat."""

    __tablename__ = "engagement_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    at: Mapped[object] = mapped_column(UTCDateTime)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(sa.Text)

    engagement = relationship("Engagement", back_populates="contacts")
    by = relationship("User")


class EngagementNotice(db.Model):
    """Sent-marker for check-in reminders: one per engagement per due date."""

    __tablename__ = "engagement_notices"
    __table_args__ = (sa.UniqueConstraint("engagement_id", "due_on", name="uq_engagement_notices"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(sa.ForeignKey("engagements.id", ondelete="CASCADE"))
    due_on: Mapped[object] = mapped_column(sa.Date)
    sent_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
