"""Mail that reached the desk (replies, new consultations, and what was dropped or refused)."""
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow


class InboundOutcome(StrEnum):
    COMMENT = "comment"    # a reply, now a comment on its request
    DRAFT = "draft"        # a new mail from a known municipal user: a draft for them to confirm
    HELD = "held"          # from an unknown sender: kept for a liaison, never a request by itself
    DROPPED = "dropped"    # written by a machine (auto-reply, delivery report, list): no answer
    REFUSED = "refused"    # the sender was told why (one polite bounce)
    DISMISSED = "dismissed"  # a held mail a liaison looked at and put away


OUTCOME_LABELS = {
    InboundOutcome.COMMENT: N_("依頼への返信として登録"), InboundOutcome.DRAFT: N_("下書きを作成"),
    InboundOutcome.HELD: N_("確認待ち(差出人不明)"), InboundOutcome.DROPPED: N_("自動送信のため破棄"),
    InboundOutcome.REFUSED: N_("受付不可(差出人に通知)"), InboundOutcome.DISMISSED: N_("確認済み"),
}

# Why a message was dropped or refused (the admin page counts them).
REASON_LABELS = {
    "auto_submitted": N_("自動送信(Auto-Submitted)"), "auto_reply": N_("自動返信(X-Autoreply)"),
    "out_of_office": N_("不在通知・自動応答"), "delivery_report": N_("配信エラー通知"),
    "bulk": N_("一斉配信(Precedence)"), "mailing_list": N_("メーリングリスト"),
    "loop": N_("デスク自身のメール"),
    "forged": N_("返信先アドレスの署名が不正"), "expired": N_("返信先アドレスの期限切れ"),
    "sender_mismatch": N_("返信先アドレスの宛先本人以外からの送信"),
    "inactive_user": N_("利用停止中のアカウント"), "no_access": N_("閲覧できない依頼への返信"),
    "internal_note": N_("内部メモへの返信"), "closed": N_("受付を終えた依頼への返信"),
    "too_large": N_("サイズの上限超過"), "unreadable": N_("読み取れない形式"),
    "bad_attachment": N_("受け付けられない添付ファイル"), "empty": N_("本文がない"),
}


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class InboundMail(db.Model):
    """One message, processed once: `dedupe_key` (Message-ID + a digest) is unique, and the row
    is written in the same transaction as its comment or draft, so a second poller or a retry
    after a crash finds it and does nothing."""

    __tablename__ = "inbound_mails"
    __table_args__ = (
        sa.CheckConstraint(_in("outcome", [o.value for o in InboundOutcome]), name="outcome"),
        sa.Index("ix_inbound_mails_outcome_received", "outcome", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    message_id: Mapped[str] = mapped_column(sa.String(250), default="")
    received_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    from_address: Mapped[str] = mapped_column(sa.String(254), default="")
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    size: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str | None] = mapped_column(sa.String(30))
    # The text as read (the reply's new words for a comment; the whole text when held).
    text: Mapped[str | None] = mapped_column(sa.Text)
    # The original message (.eml) in the upload store; liaisons may download it.
    stored_name: Mapped[str | None] = mapped_column(sa.String(64))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"),
                                                   index=True)
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("request_comments.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    sreq = relationship("SupportRequest")
