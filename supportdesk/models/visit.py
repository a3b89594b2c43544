"""Visits (訪問): outreach lectures, accompaniment check-ins, periodic rounds and liaison meetings."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

VISIT_KINDS = {"lecture": "出前講座", "accompaniment": "伴走支援", "round": "定期巡回",
               "meeting": "連絡会"}
VISIT_STATES = {"proposed": "候補", "confirmed": "確定", "held": "実施済", "cancelled": "中止",
                "postponed": "延期"}

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
    permission_kind = "visit"

    def scope_municipality_ids(self):
        return {m.id for m in self.municipalities}

    def scope_region_ids(self):
        return {m.region_id for m in self.municipalities}
