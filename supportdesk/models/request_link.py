"""Links between requests (follow-up, related, duplicate)."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class RequestLink(db.Model):
    """related / follow_up (to follows from) / duplicate (from is a duplicate of to)."""

    __tablename__ = "request_links"
    __table_args__ = (sa.UniqueConstraint("from_id", "to_id", "kind", name="uq_request_links_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_id: Mapped[int] = mapped_column(sa.ForeignKey("support_requests.id"), index=True)
    to_id: Mapped[int] = mapped_column(sa.ForeignKey("support_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    from_request = relationship("SupportRequest", foreign_keys=[from_id])
    to_request = relationship("SupportRequest", foreign_keys=[to_id])
