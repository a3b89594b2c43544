"""Append-only request history: RequestEvent and the words for its kinds and actions."""
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow
from ..workflows import assignments as assignment_flow
from .chain import RedactableRow


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
    "waiting": N_("回答待ち"),
    "handover": N_("人事異動による引継ぎ"),
}


# The actions of expert, visit, engagement and link events (state events use ACTION_LABELS of
# the workflow, support actions the catalogue's support_kind entries).
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


class RequestEvent(RedactableRow, db.Model):
    """One change to a request: who, when, before and after. Never updated or deleted: the
    database refuses both, save the redaction of `data` and `note` (models/chain.py)."""

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


@event.listens_for(RequestEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("request events are append-only")


@event.listens_for(RequestEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("request events are append-only")
