"""Experts asked to work on a request, and their answers."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow
from ..workflows import assignments as assignment_flow


# An assignment in these statuses gives the expert access to the request and a place on it.
# Statuses, labels and transitions are the assignment state machine's (workflows/assignments.py).
ACTIVE_ASSIGNMENT_STATUSES = tuple(status.value for status in assignment_flow.ACTIVE)


ASSIGNMENT_STATUSES = {status.value: label
                       for status, label in assignment_flow.STATUS_LABELS.items()}


class ExpertAssignment(db.Model):
    """An expert put on a request; the expert accepts or declines with a reason."""

    __tablename__ = "expert_assignments"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "expert_id", name="uq_expert_assignments_pair"),
        sa.CheckConstraint("status IN ('proposed', 'accepted', 'declined', 'removed')",
                           name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("support_requests.id"), index=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed")
    reason: Mapped[str | None] = mapped_column(sa.Text)
    assigned_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    assigned_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[object | None] = mapped_column(UTCDateTime)

    sreq = relationship("SupportRequest")
    expert = relationship("User", foreign_keys=[expert_id])

    @property
    def active(self):
        """Still on the request (asked or accepted): the expert has access and may be removed."""
        return self.status in ACTIVE_ASSIGNMENT_STATUSES

    @property
    def awaiting_answer(self):
        """Asked and not yet answered: the expert may accept or decline."""
        return self.status == "proposed"

    @property
    def accepted(self):
        return self.status == "accepted"

    @property
    def declined(self):
        return self.status == "declined"
