"""A user's secret iCalendar feed URL (the calendar of visits)."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class CalendarFeedToken(db.Model):
    """A user's secret iCalendar feed URL. Only the SHA-256 of the token is stored."""

    __tablename__ = "calendar_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)

    user = relationship("User")
