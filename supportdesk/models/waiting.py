"""Waiting periods on a request (市町の回答待ち / 人材の回答待ち): the clock stops meanwhile."""
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime


class WaitingFor(StrEnum):
    MUNICIPALITY = "municipality"  # 市町の回答待ち
    EXPERT = "expert"              # 人材の回答待ち


WAITING_LABELS = {WaitingFor.MUNICIPALITY: N_("市町の回答待ち"),
                  WaitingFor.EXPERT: N_("人材の回答待ち")}


class WaitingEndReason(StrEnum):
    MUNICIPALITY_REPLIED = "municipality_replied"  # the filer or a co-applicant replied
    EXPERT_RESPONDED = "expert_responded"          # an expert accepted or declined
    MANUAL = "manual"                              # a liaison ended it
    CLOSED = "closed"                              # the request was closed, declined, withdrawn


WAITING_END_LABELS = {WaitingEndReason.MUNICIPALITY_REPLIED: N_("市町からの返信"),
                      WaitingEndReason.EXPERT_RESPONDED: N_("人材の回答"),
                      WaitingEndReason.MANUAL: N_("担当者が終了"),
                      WaitingEndReason.CLOSED: N_("依頼の終了")}


def _in(column, enum):
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in enum) + ")"


WAITING_FOR_CHECK = _in("waiting_for", WaitingFor)


class RequestWaitingPeriod(db.Model):
    """One stretch of waiting; `business_days` is filled when it ends (business days after
    the day it started, up to and including the day it ended, in Tokyo)."""

    __tablename__ = "request_waiting_periods"
    __table_args__ = (
        sa.CheckConstraint(WAITING_FOR_CHECK, name="waiting_for"),
        sa.CheckConstraint(_in("ended_reason", WaitingEndReason), name="ended_reason"),
        sa.Index("ix_request_waiting_periods_request_ended", "request_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"))
    waiting_for: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[object] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    ended_reason: Mapped[str | None] = mapped_column(sa.String(30))
    business_days: Mapped[int | None] = mapped_column()

    sreq = relationship("SupportRequest")
    started_by = relationship("User", foreign_keys=[started_by_id])
    ended_by = relationship("User", foreign_keys=[ended_by_id])
