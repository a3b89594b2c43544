"""Retention under 公文書管理: the class and disposition of each record kind, and the decisions
(confirmed, extended, held, carried out) on the records whose period ends."""
from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow


class RetentionClass(StrEnum):
    Y1 = "1"
    Y3 = "3"
    Y5 = "5"
    Y10 = "10"
    Y30 = "30"
    PERMANENT = "permanent"   # 常用: in use for good, never expires


CLASS_YEARS = {RetentionClass.Y1: 1, RetentionClass.Y3: 3, RetentionClass.Y5: 5,
               RetentionClass.Y10: 10, RetentionClass.Y30: 30, RetentionClass.PERMANENT: None}
CLASS_LABELS = {RetentionClass.Y1: N_("1年"), RetentionClass.Y3: N_("3年"),
                RetentionClass.Y5: N_("5年"), RetentionClass.Y10: N_("10年"),
                RetentionClass.Y30: N_("30年"), RetentionClass.PERMANENT: N_("常用")}


class Disposition(StrEnum):
    TRANSFER = "transfer"   # 移管: to the archives, after writing a self-contained archive
    DESTROY = "destroy"     # 廃棄: bodies, personal data and files removed; a skeleton stays


DISPOSITION_LABELS = {Disposition.TRANSFER: N_("移管"), Disposition.DESTROY: N_("廃棄")}


class RecordKind(StrEnum):
    REQUEST = "request"              # a request with its conversation and attachments
    VISIT_RECORD = "visit_record"    # 実施記録 of a visit
    ROUND_RECORD = "round_record"    # 定期巡回の記録
    SURVEY = "survey"                # 調査・照会 with its answers
    MEETING_MINUTES = "meeting_minutes"  # 会議録 (no meetings in the desk yet)
    AUDIT_LOG = "audit_log"          # one fiscal year of the audit log


class RetentionStatus(StrEnum):
    DUE = "due"                  # on the spring list, no decision yet
    CONFIRMED = "confirmed"      # the disposition is confirmed; carried out once the period ends
    DISPOSED = "disposed"        # 廃棄済
    TRANSFERRED = "transferred"  # 移管済


STATUS_LABELS = {RetentionStatus.DUE: N_("未確認"), RetentionStatus.CONFIRMED: N_("確認済"),
                 RetentionStatus.DISPOSED: N_("廃棄済"), RetentionStatus.TRANSFERRED: N_("移管済")}


def _in(column, enum):
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in enum) + ")"


class RetentionPolicy(db.Model):
    """The retention class and default disposition of one record kind (admins change them;
    services/retention/kinds.py has the defaults the seed writes)."""

    __tablename__ = "retention_policies"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", RecordKind), name="kind"),
        sa.CheckConstraint(_in("retention_class", RetentionClass), name="retention_class"),
        sa.CheckConstraint(_in("disposition", Disposition), name="disposition"),
    )

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    retention_class: Mapped[str] = mapped_column(sa.String(10))
    disposition: Mapped[str] = mapped_column(sa.String(10))
    # Who changed it is in the audit log (no user key here: the row is reference data).
    updated_at: Mapped[object | None] = mapped_column(UTCDateTime)


class RetentionRecord(db.Model):
    """One record whose period ends (or has ended): what the spring list shows and what the
    admin decided. `ends_on` is the end as it stands (moved by an extension); a legal hold
    stops everything while it is on."""

    __tablename__ = "retention_records"
    __table_args__ = (
        sa.UniqueConstraint("kind", "record_id", name="uq_retention_records_kind_record"),
        sa.CheckConstraint(_in("kind", RecordKind), name="kind"),
        sa.CheckConstraint(_in("retention_class", RetentionClass), name="retention_class"),
        sa.CheckConstraint(_in("disposition", Disposition), name="disposition"),
        sa.CheckConstraint(_in("status", RetentionStatus), name="status"),
        sa.Index("ix_retention_records_status_ends", "status", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    record_id: Mapped[int] = mapped_column()  # the record's id (a fiscal year for the audit log)
    name: Mapped[str] = mapped_column(sa.String(200))  # the register's name: no personal data
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    closed_on: Mapped[date] = mapped_column(sa.Date)     # closure, in Tokyo
    retention_class: Mapped[str] = mapped_column(sa.String(10))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    disposition: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(12), default=RetentionStatus.DUE.value)
    extension_reason: Mapped[str | None] = mapped_column(sa.Text)
    legal_hold: Mapped[bool] = mapped_column(default=False)
    hold_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    done_at: Mapped[object | None] = mapped_column(UTCDateTime)
    archive_path: Mapped[str | None] = mapped_column(sa.String(300))  # 移管: the archive written
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    municipality = relationship("Municipality")
    decided_by = relationship("User")
    permission_kind = "retention"

    @property
    def is_open(self):
        """Still to be carried out: a decision may be taken or changed."""
        return self.status in (RetentionStatus.DUE.value, RetentionStatus.CONFIRMED.value)
