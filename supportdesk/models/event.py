"""Append-only request history, the conversation, attachments, support actions, links, experts."""
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow


class RequestEvent(db.Model):
    """One change to a request: who, when, before and after. Never updated or deleted."""

    __tablename__ = "request_events"
    __table_args__ = (
        sa.Index("ix_request_events_request_at", "request_id", "at"),
        # Covering index for the monthly report: state changes and contacts in a period.
        sa.Index("ix_request_events_at_cover", "at", "request_id", "kind", "to_state", "action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("support_requests.id"))
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # state, assign, fields, attachment, comment, note, expert, action, link, ...
    kind: Mapped[str] = mapped_column(sa.String(20))
    action: Mapped[str | None] = mapped_column(sa.String(30), index=True)
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str | None] = mapped_column(sa.String(20))
    # Visible only to the prefecture side (internal notes and what they touch).
    internal: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict | None] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)

    sreq = relationship("SupportRequest")
    actor = relationship("User")


class RequestComment(db.Model):
    """A reply (seen by the municipality) or an internal note (prefecture side only)."""

    __tablename__ = "request_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("support_requests.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    sreq = relationship("SupportRequest")
    author = relationship("User")


class RequestAttachment(db.Model):
    """A file stored under instance/uploads; only its metadata lives in the database."""

    __tablename__ = "request_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("support_requests.id"), index=True)
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("request_comments.id"))
    purpose: Mapped[str] = mapped_column(sa.String(20), default="general")  # general, prework
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    internal: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    sreq = relationship("SupportRequest")
    uploaded_by = relationship("User")
    permission_kind = "attachment"

    def scope_municipality_ids(self):
        return self.sreq.scope_municipality_ids()


SUPPORT_ACTION_KINDS = {"advice": N_("専門的な助言"), "bridge": N_("関係部署への橋渡し"),
                        "case": N_("事例紹介"), "vendor": N_("事業者紹介")}


class SupportAction(db.Model):
    """A piece of support given (助言 / 橋渡し / 事例紹介 / 事業者紹介), counted in reports."""

    __tablename__ = "support_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("support_requests.id"), index=True)
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


# An assignment in these statuses gives the expert access to the request and a place on it.
ACTIVE_ASSIGNMENT_STATUSES = ("proposed", "accepted")


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


class ReplyTemplate(db.Model):
    """定型文 that liaisons maintain and insert into replies."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    body: Mapped[str] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class Case(db.Model):
    """A reference case (事例) liaisons introduce: national casebooks, Hyogo examples, own work."""

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


@event.listens_for(RequestEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("request events are append-only")


@event.listens_for(RequestEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("request events are append-only")
