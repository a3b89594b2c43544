"""The case library (事例): examples the desk introduces to municipalities."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class Case(db.Model):
    """A reference case (事例) liaisons introduce: national casebooks, the prefecture's examples, own work."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    organisation: Mapped[str] = mapped_column(sa.String(100))  # municipality or prefecture
    theme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("themes.id"), index=True)
    summary: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str | None] = mapped_column(sa.String(200))
    url: Mapped[str | None] = mapped_column(sa.String(500))
    from_request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    theme = relationship("Theme")
