"""Saved queue views: a named query string per user (受付キューの保存ビュー)."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class SavedView(db.Model):
    __tablename__ = "saved_views"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    # The queue's GET query string without the page cursor, e.g. "state=submitted&overdue=1".
    query: Mapped[str] = mapped_column(sa.String(1000), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    permission_kind = "saved_view"
