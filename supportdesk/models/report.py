"""Report support tables: the business-day calendar and frozen monthly report snapshots."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class BusinessDay(db.Model):
    """One calendar day; `ordinal` counts business days since 2000-01-01, so the business days
    between two dates are a subtraction the database can do inside an aggregate."""

    __tablename__ = "business_days"

    day: Mapped[str] = mapped_column(sa.String(10), primary_key=True)  # YYYY-MM-DD (JST)
    is_business: Mapped[bool] = mapped_column()
    ordinal: Mapped[int] = mapped_column()


class ReportSnapshot(db.Model):
    """A monthly report frozen as figures; never changed. Regenerating adds a new version."""

    __tablename__ = "report_snapshots"
    __table_args__ = (sa.UniqueConstraint("period", "version", name="uq_report_snapshots_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7), index=True)  # YYYY-MM
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    figures: Mapped[dict] = mapped_column(sa.JSON)

    created_by = relationship("User")
