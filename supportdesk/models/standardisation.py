"""System standardisation (システム標準化・ガバメントクラウド): per municipality and core business
system, its migration state with history (append-only: the current row is the latest as-of)."""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow
from .status import SOURCE_KINDS, _in

MIGRATION_STATES = ("not_started", "preparing", "migrating", "migrated")
MIGRATION_STATE_LABELS = {"not_started": N_("未着手"), "preparing": N_("移行準備中"),
                          "migrating": N_("移行作業中"), "migrated": N_("移行完了")}


class SystemMigration(db.Model):
    """The state of one of the 20 standardised systems of one municipality, as of a date."""

    __tablename__ = "system_migrations"
    __table_args__ = (
        sa.CheckConstraint(_in("status", MIGRATION_STATES), name="status"),
        sa.CheckConstraint(_in("source_kind", SOURCE_KINDS), name="source_kind"),
        sa.Index("ix_system_migrations_current", "municipality_id", "system_code", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"))
    # One of supportdesk/data/standard_systems.csv (the 20 標準化対象事務).
    system_code: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(12))
    planned_on: Mapped[date | None] = mapped_column(sa.Date)
    migrated_on: Mapped[date | None] = mapped_column(sa.Date)
    # 特定移行支援システム: the national deadline does not apply to it.
    special_support: Mapped[bool] = mapped_column(default=False)
    vendor: Mapped[str | None] = mapped_column(sa.String(100))
    # The government-cloud connection line is contracted for this system.
    line_contracted: Mapped[bool] = mapped_column(default=False)
    as_of: Mapped[date] = mapped_column(sa.Date)
    set_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    source_kind: Mapped[str] = mapped_column(sa.String(10))
    source_ref: Mapped[str | None] = mapped_column(sa.String(100))

    municipality = relationship("Municipality")
    set_by = relationship("User")
    permission_kind = "status"

    def scope_municipality_ids(self):
        return {self.municipality_id}
