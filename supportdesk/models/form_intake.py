"""Form services (LoGoフォーム and the like): connections, and the answers they sent."""
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow


class IntakeMode(StrEnum):
    DRAFT = "draft"      # the answer becomes a draft its filer confirms in the desk
    SUBMIT = "submit"    # the answer is submitted at once, as if filed in the desk


class AnswerStatus(StrEnum):
    FILED = "filed"      # it became a request (draft or submitted)
    WAITING = "waiting"  # it did not map (unknown municipality, missing title...): an admin looks
    IGNORED = "ignored"  # an admin put it away


MODE_LABELS = {IntakeMode.DRAFT: N_("下書きにする(職員がデスクで提出)"),
               IntakeMode.SUBMIT: N_("そのまま提出する")}
STATUS_LABELS = {AnswerStatus.FILED: N_("依頼を作成"), AnswerStatus.WAITING: N_("確認待ち"),
                 AnswerStatus.IGNORED: N_("対象外")}

# What a form's question can fill: the request's field -> its words on the admin page.
MAPPABLE = {
    "answer_id": N_("回答ID"), "municipality": N_("市町(名称またはコード)"),
    "filer_email": N_("申し出た職員のメールアドレス"), "kind": N_("依頼の種類(相談/地域DX出前講座)"),
    "title": N_("件名"), "body": N_("課題・相談内容"), "themes": N_("テーマ(読点・カンマ区切り)"),
    "needed_by": N_("希望期限(日付)"),
}
DEFAULT_LABELS = {"answer_id": "回答ID", "municipality": "市町名", "filer_email": "メールアドレス",
                  "kind": "依頼の種類", "title": "件名", "body": "相談内容", "themes": "テーマ",
                  "needed_by": "希望期限"}


def _in(column, enum):
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in enum) + ")"


class FormConnection(db.Model):
    """One form service an admin connected: its token (only a hash is kept) and which question
    label fills which field."""

    __tablename__ = "form_connections"
    __table_args__ = (sa.CheckConstraint(_in("mode", IntakeMode), name="mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    mapping: Mapped[dict] = mapped_column(sa.JSON)
    mode: Mapped[str] = mapped_column(sa.String(10), default=IntakeMode.DRAFT.value)
    default_kind: Mapped[str] = mapped_column(sa.String(20), default="consultation")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class FormAnswer(db.Model):
    """One answer of a connected form, once per 回答ID; a changed resend is a revision."""

    __tablename__ = "form_answers"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "answer_id"),
        sa.CheckConstraint(_in("status", AnswerStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("form_connections.id"))
    answer_id: Mapped[str] = mapped_column(sa.String(100))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    digest: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"))
    received_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    connection = relationship("FormConnection")
    sreq = relationship("SupportRequest")
    revisions = relationship("FormAnswerRevision", order_by="FormAnswerRevision.id",
                             back_populates="answer")


class FormAnswerRevision(db.Model):
    """An answer as it was before a changed resend (kept, never edited)."""

    __tablename__ = "form_answer_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_pk: Mapped[int] = mapped_column(sa.ForeignKey("form_answers.id"), index=True)
    payload: Mapped[dict] = mapped_column(sa.JSON)
    received_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    answer = relationship("FormAnswer", back_populates="revisions")
