"""The contact directory (連絡先): a municipality's role-holders, separate from login accounts,
and the changes its 情報部門 proposes."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow
from ..workflows.contacts import ContactRole, ProposalKind, ProposalStatus


def _in(column, enum):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in enum) + ")"


class Contact(db.Model):
    """One person holding one role in a municipality for a period (valid_to is the last day;
    none means still in office). A person with an account may be linked to it."""

    __tablename__ = "contacts"
    __table_args__ = (
        sa.CheckConstraint(_in("role", ContactRole), name="role"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
        sa.Index("ix_contacts_municipality_role", "municipality_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"))
    role: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))
    kana: Mapped[str | None] = mapped_column(sa.String(100))
    # The post as the municipality calls it (副市長, 企画部長 ...): a CIO is often an equivalent.
    title: Mapped[str | None] = mapped_column(sa.String(100))
    department: Mapped[str | None] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    valid_from: Mapped[object] = mapped_column(sa.Date)
    valid_to: Mapped[object | None] = mapped_column(sa.Date)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    municipality = relationship("Municipality")
    user = relationship("User")
    permission_kind = "contact"

    def is_current(self, on):
        return self.valid_from <= on and (self.valid_to is None or self.valid_to >= on)

    def __repr__(self):
        return f"<Contact {self.id} {self.role} m{self.municipality_id}>"


class ContactProposal(db.Model):
    """A change to the directory proposed by the municipality's 情報部門: add a contact, change
    one, or end one. A liaison accepts it (the directory changes) or rejects it."""

    __tablename__ = "contact_proposals"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", ProposalKind), name="kind"),
        sa.CheckConstraint(_in("status", ProposalStatus), name="status"),
        sa.CheckConstraint("kind = 'add' OR contact_id IS NOT NULL", name="names_contact"),
        sa.Index("ix_contact_proposals_municipality_status", "municipality_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"))
    # The proposed values (add/change) or the last day in office (end: valid_to).
    proposed: Mapped[dict] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default=ProposalStatus.PENDING.value)
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    proposed_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(sa.Text)

    municipality = relationship("Municipality")
    contact = relationship("Contact")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    permission_kind = "contact_proposal"

    def __repr__(self):
        return f"<ContactProposal {self.id} {self.kind} {self.status}>"
