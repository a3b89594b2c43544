"""Visits (訪問): outreach lectures, accompaniment check-ins, periodic rounds and liaison meetings."""
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow
from ..workflows.visits import STATE_LABELS

VISIT_KINDS = {"lecture": N_("出前講座"), "accompaniment": N_("伴走支援"), "round": N_("定期巡回"),
               "meeting": N_("連絡会")}
# The states and their labels are the visit state machine's (workflows/visits.py).
VISIT_STATES = {state.value: label for state, label in STATE_LABELS.items()}

visit_municipalities = sa.Table(
    "visit_municipalities",
    db.metadata,
    sa.Column("visit_id", sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("municipality_id", sa.ForeignKey("municipalities.id"), primary_key=True, index=True),
)

# Prefecture-side people attending: liaisons and experts.
visit_attendees = sa.Table(
    "visit_attendees",
    db.metadata,
    sa.Column("visit_id", sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True, index=True),
)


class Visit(db.Model):
    __tablename__ = "visits"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('lecture', 'accompaniment', 'round', 'meeting')", name="kind"),
        sa.CheckConstraint(
            "state IN ('proposed', 'confirmed', 'held', 'cancelled', 'postponed')", name="state"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_visits_starts_at_state", "starts_at", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="proposed")
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[object] = mapped_column(UTCDateTime)
    ends_at: Mapped[object] = mapped_column(UTCDateTime)
    venue: Mapped[str | None] = mapped_column(sa.String(200))
    online_details: Mapped[str | None] = mapped_column(sa.Text)
    liaison_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    # A postponed visit points at the visit that replaces it.
    postponed_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visits.id"))
    # An accompaniment check-in belongs to its engagement (伴走支援).
    engagement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("engagements.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    sreq = relationship("SupportRequest")
    municipalities = relationship("Municipality", secondary=visit_municipalities,
                                  order_by="Municipality.code")
    attendees = relationship("User", secondary=visit_attendees)
    liaison = relationship("User", foreign_keys=[liaison_id])
    postponed_to = relationship("Visit", remote_side=[id])
    engagement = relationship("Engagement", foreign_keys=[engagement_id])
    record = relationship("VisitRecord", uselist=False, back_populates="visit")
    permission_kind = "visit"

    def scope_municipality_ids(self):
        return {m.id for m in self.municipalities}

    def scope_region_ids(self):
        return {m.region_id for m in self.municipalities}


class VisitRecord(db.Model):
    """実施記録: who came (by role), what was covered, issues found and follow-ups."""

    __tablename__ = "visit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"),
                                          unique=True)
    # Attendance on the municipality side, by the package's audience groups.
    attendees_executives: Mapped[int] = mapped_column(default=0)   # 首長・幹部
    attendees_business: Mapped[int] = mapped_column(default=0)     # 業務担当課
    attendees_information: Mapped[int] = mapped_column(default=0)  # 情報部門
    attendees_other: Mapped[int] = mapped_column(default=0)
    covered: Mapped[str] = mapped_column(sa.Text, default="")
    issues: Mapped[str] = mapped_column(sa.Text, default="")
    follow_ups: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    visit = relationship("Visit", back_populates="record")
    recorded_by = relationship("User")

    @property
    def total_attendees(self):
        return (self.attendees_executives + self.attendees_business + self.attendees_information
                + self.attendees_other)


class VisitFollowUp(db.Model):
    """What a visit record opened in one step: a new request or an accompaniment engagement."""

    __tablename__ = "visit_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"),
                                          index=True)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"))
    engagement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("engagements.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    visit = relationship("Visit")
    sreq = relationship("SupportRequest")
    engagement = relationship("Engagement")


class SatisfactionSource(StrEnum):
    FILER = "filer"              # the municipality's staff, signed in (once per person)
    PARTICIPANT = "participant"  # a participant, through the lecture's shared link (no login)


class SatisfactionResponse(db.Model):
    """A 5-point rating of a held lecture: by the municipality's staff (one per visit per
    respondent) or by a participant through the lecture's link (anonymous)."""

    __tablename__ = "satisfaction_responses"
    __table_args__ = (
        sa.UniqueConstraint("visit_id", "respondent_id", name="uq_satisfaction_visit_respondent"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        sa.CheckConstraint("(source = 'filer' AND respondent_id IS NOT NULL) OR "
                           "(source = 'participant' AND respondent_id IS NULL)", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"),
                                          index=True)
    respondent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(sa.String(20), default=SatisfactionSource.FILER.value,
                                        server_default=SatisfactionSource.FILER.value)
    rating: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # Answers to the questions a liaison added to the lecture's survey (the survey engine's
    # questions of Survey kind "lecture"): {"<question id>": value}. The rating above stays the
    # default question, so every report that reads it reads the same column as before.
    answers: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    visit = relationship("Visit")
    respondent = relationship("User")


class ParticipantSurveyLink(db.Model):
    """The link a lecture's filer forwards to its participants: answering needs no login."""

    __tablename__ = "participant_survey_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"),
                                          unique=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)

    visit = relationship("Visit")


class VisitNotice(db.Model):
    """Sent-marker for scheduled notices (reminders, satisfaction requests): each goes out once."""

    __tablename__ = "visit_notices"
    __table_args__ = (sa.UniqueConstraint("visit_id", "kind", name="uq_visit_notices_visit_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(30))  # remind_7d, remind_1d, satisfaction
    sent_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
