"""Periodic rounds (定期巡回): round records, the departments findings are shared with, and
the planned date of each municipality's round in a cycle."""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class RoundRecord(db.Model):
    """What a liaison learnt on one round visit to one municipality."""

    __tablename__ = "round_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"),
                                          unique=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    progress: Mapped[str] = mapped_column(sa.Text, default="")   # 取組状況
    issues: Mapped[str] = mapped_column(sa.Text, default="")     # 課題
    # 県の関係部署と共有: department names, in the order they were entered.
    shared_departments: Mapped[list | None] = mapped_column(sa.JSON)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # The push-type lecture proposal made from this round's issues, if any.
    proposed_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("support_requests.id"), index=True)

    visit = relationship("Visit")
    municipality = relationship("Municipality")
    recorded_by = relationship("User")
    proposed_request = relationship("SupportRequest")
    departments = relationship("Department", secondary="round_record_departments",
                               order_by="Department.name")
    permission_kind = "round"

    def scope_municipality_ids(self):
        return {self.municipality_id}

    def scope_region_ids(self):
        return {self.municipality.region_id}

    @property
    def shared_department_names(self):
        """The departments this record was shared with: the managed ones, then any name typed
        as free text before departments were a managed list that matches none of them."""
        names = [d.name for d in self.departments]
        typed = ((n or "").strip() for n in (self.shared_departments or []))
        return list(dict.fromkeys(names + [n for n in typed if n]))


# Which managed departments a round record's findings were shared with (each got a notice).
round_record_departments = sa.Table(
    "round_record_departments", db.metadata,
    sa.Column("round_record_id", sa.ForeignKey("round_records.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("department_id", sa.ForeignKey("departments.id"), primary_key=True, index=True),
)


class Department(db.Model):
    """A prefectural department (県の関係部署) that round findings are shared with. Departments
    have no accounts: they get a notice by e-mail and read what was shared through a link
    whose token is derived from `link_nonce` (a new nonce withdraws every link sent before)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    active: Mapped[bool] = mapped_column(default=True)
    link_nonce: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    permission_kind = "department"

    def __repr__(self):
        return f"<Department {self.id} {self.name}>"


class PlannedRound(db.Model):
    """A liaison's planned date for one municipality's round in one cycle (巡回予定)."""

    __tablename__ = "planned_rounds"
    __table_args__ = (sa.UniqueConstraint("municipality_id", "cycle_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"))
    cycle_start: Mapped[date] = mapped_column(sa.Date)   # first day of the cycle
    cycle_end: Mapped[date] = mapped_column(sa.Date)     # last day of the cycle
    planned_on: Mapped[date] = mapped_column(sa.Date, index=True)
    planned_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    municipality = relationship("Municipality")
    planned_by = relationship("User")
    permission_kind = "planned_round"

    def scope_municipality_ids(self):
        return {self.municipality_id}

    def scope_region_ids(self):
        return {self.municipality.region_id}
