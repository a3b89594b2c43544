"""Periodic round records (定期巡回の記録): progress, issues and departments it was shared with."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class RoundRecord(db.Model):
    """What a liaison learnt on one round visit to one municipality."""

    __tablename__ = "round_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"),
                                          unique=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    progress: Mapped[str] = mapped_column(sa.Text, default="")   # 取組状況
    issues: Mapped[str] = mapped_column(sa.Text, default="")     # 課題
    # 県の関係部署と共有: department names, in the order they were entered.
    shared_departments: Mapped[list | None] = mapped_column(sa.JSON)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # The push-type lecture proposal made from this round's issues, if any.
    proposed_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("support_requests.id"), index=True)

    visit = relationship("Visit")
    municipality = relationship("Municipality")
    recorded_by = relationship("User")
    proposed_request = relationship("SupportRequest")
    permission_kind = "round"

    def scope_municipality_ids(self):
        return {self.municipality_id}

    def scope_region_ids(self):
        return {self.municipality.region_id}
