"""The April handover (人事異動の引継ぎ): people leaving on a date, and each municipality's
confirmation that its users and contacts are right for a fiscal year."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class Departure(db.Model):
    """A user marked as leaving: the account is deactivated on `leaves_on` (by the daily job);
    everything they did stays attributed to them. `successor` takes their open requests."""

    __tablename__ = "departures"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    leaves_on: Mapped[object] = mapped_column(sa.Date, index=True)
    successor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    marked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    marked_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    work_passed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[object | None] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id])
    successor = relationship("User", foreign_keys=[successor_id])
    marked_by = relationship("User", foreign_keys=[marked_by_id])
    municipality = relationship("Municipality")
    permission_kind = "handover"

    def __repr__(self):
        return f"<Departure u{self.user_id} {self.leaves_on}>"


class HandoverConfirmation(db.Model):
    """The municipality confirmed its users and contacts for `fiscal_year` (once per year)."""

    __tablename__ = "handover_confirmations"
    __table_args__ = (sa.UniqueConstraint("municipality_id", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"))
    fiscal_year: Mapped[int] = mapped_column(index=True)
    confirmed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(sa.Text)

    municipality = relationship("Municipality")
    confirmed_by = relationship("User")
    permission_kind = "handover"

    def __repr__(self):
        return f"<HandoverConfirmation m{self.municipality_id} FY{self.fiscal_year}>"
