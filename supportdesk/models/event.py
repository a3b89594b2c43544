"""Append-only request history, the conversation, attachments, support actions, links, experts."""
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow
from ..workflows import assignments as assignment_flow
from .support_request import HELP_KINDS

# What each kind of request event is called where a page shows it (kind codes never reach a
# page). The request page and the municipality timeline say it in a sentence with the event's
# data (templates/requests/_event_macros.html); this is the word when there is nothing to add.
EVENT_KINDS = {
    "created": N_("依頼を作成しました"), "routed": N_("受付・回付"),
    "info_shared": N_("情報部門に共有しました"), "fields": N_("内容の変更"),
    "state": N_("状態の変更"), "assign": N_("担当者を変更"),
    "escalated": N_("初回回答の期限超過をチームリーダーに通知"), "comment": N_("返信"),
    "note": N_("内部メモ"), "attachment": N_("添付ファイル"), "support": N_("支援の記録"),
    "action": N_("支援の記録"), "follow": N_("フォロー"), "expert": N_("派遣人材"),
    "visit": N_("訪問"), "engagement": N_("伴走支援"), "link": N_("関連付け"),
}
# The actions of expert, visit, engagement and link events (state events use ACTION_LABELS of
# the workflow, support actions SUPPORT_ACTION_KINDS).
EVENT_ACTIONS = {
    **{action.value: label for action, label in assignment_flow.ACTION_LABELS.items()},
    "visit_proposed": N_("訪問の候補を登録"), "visit_confirmed": N_("訪問の日程を確定"),
    "visit_cancelled": N_("訪問を中止"), "visit_moved": N_("訪問を延期"),
    "visit_recorded": N_("訪問の実施記録を登録"), "visit_rated": N_("満足度アンケートに回答"),
    "engagement_opened": N_("伴走支援を開始"), "engagement_closed": N_("伴走支援を終了"),
    "link_related": N_("関連する依頼を関連付け"),
    "link_follow_up": N_("後続(フォローアップ)として関連付け"),
    "link_duplicate": N_("重複として関連付け"),
    "follow_up_of_visit": N_("訪問のフォローアップとして作成"),
    "follow_up_opened": N_("フォローアップの依頼を作成"),
}


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


# The support a liaison records is one of the kinds of help a filer may ask for: one table.
SUPPORT_ACTION_KINDS = HELP_KINDS


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
