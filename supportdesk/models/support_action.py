"""Support actions (支援の記録) on a request: advice, bridging, introductions."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow



class SupportAction(db.Model):
    """A piece of support given (助言 / 橋渡し / 事例紹介 / 事業者紹介), counted in reports."""

    __tablename__ = "support_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("support_requests.id"), index=True)
    # The support a liaison records is one of the kinds of help a filer may ask for: the key of a
    # support_kind catalogue entry (one list).
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    # bridge: a prefectural department (県関係課) or a front-runner municipality (先行市町)
    target_department: Mapped[str | None] = mapped_column(sa.String(100))
    target_municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    vendor_name: Mapped[str | None] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.Text)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)

    sreq = relationship("SupportRequest")
    actor = relationship("User")
    target_municipality = relationship("Municipality")
    case = relationship("Case")
