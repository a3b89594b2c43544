"""The DX status tracker: the catalogue of status items (kept by admins) and each
municipality's values with their history (append-only: the current value is the latest as-of)."""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow

# The type of an item decides how its value is stored and checked.
ITEM_TYPES = ("step", "yesno", "percentage", "date", "text")
ITEM_TYPE_LABELS = {"step": N_("段階"), "yesno": N_("はい/いいえ"), "percentage": N_("割合(パーセント)"),
                    "date": N_("日付"), "text": N_("テキスト")}
# Where a value came from: a liaison's edit, a round record, a survey answer, an import.
SOURCE_KINDS = ("edit", "round", "survey", "import")
SOURCE_LABELS = {"edit": N_("編集"), "round": N_("定期巡回"), "survey": N_("照会の回答"),
                 "import": N_("取り込み")}
ITEM_GROUPS = ("procedure", "priority", "profile")
GROUP_LABELS = {"procedure": N_("DX推進の手順"), "priority": N_("重点取組事項"),
                "profile": N_("体制・プロフィール")}
# The Municipality columns an item keeps in sync (the tracker is their source of truth).
PROFILE_FIELDS = ("dx_step", "cio_appointed", "dx_plan_in_place", "dx_staff_band",
                  "population_band")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class StatusItem(db.Model):
    __tablename__ = "status_items"
    __table_args__ = (
        sa.CheckConstraint(_in("item_type", ITEM_TYPES), name="item_type"),
        sa.CheckConstraint(_in("item_group", ITEM_GROUPS), name="item_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label_ja: Mapped[str] = mapped_column(sa.String(120))
    label_en: Mapped[str] = mapped_column(sa.String(120))
    item_type: Mapped[str] = mapped_column(sa.String(12))
    item_group: Mapped[str] = mapped_column(sa.String(20))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # For steps: the labels of the steps, lowest first (the value is the index).
    steps: Mapped[list | None] = mapped_column(sa.JSON)
    steps_en: Mapped[list | None] = mapped_column(sa.JSON)
    description: Mapped[str | None] = mapped_column(sa.Text)
    # The Municipality column this item keeps in sync, if any (set by the seed, not by admins).
    profile_field: Mapped[str | None] = mapped_column(sa.String(40))

    def label(self, locale="ja"):
        return self.label_en if locale == "en" and self.label_en else self.label_ja

    def step_label(self, index, locale="ja"):
        steps = self.steps or []
        if not 0 <= index < len(steps):
            return str(index)
        if locale == "en" and self.steps_en and index < len(self.steps_en):
            return self.steps_en[index]
        return steps[index]

    def __repr__(self):
        return f"<StatusItem {self.key}>"


class StatusValue(db.Model):
    """One value of one item for one municipality, as of a date. Never updated or deleted."""

    __tablename__ = "status_values"
    __table_args__ = (
        sa.CheckConstraint(_in("source_kind", SOURCE_KINDS), name="source_kind"),
        sa.Index("ix_status_values_current", "municipality_id", "item_id", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("status_items.id"), index=True)
    # step: the step's index; yesno: 1 or 0; percentage: 0-100.
    value_number: Mapped[float | None] = mapped_column(sa.Float)
    value_date: Mapped[date | None] = mapped_column(sa.Date)
    value_text: Mapped[str | None] = mapped_column(sa.Text)
    as_of: Mapped[date] = mapped_column(sa.Date)
    set_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    source_kind: Mapped[str] = mapped_column(sa.String(10))
    # What the source was: a survey's or a round record's id, a file name ...
    source_ref: Mapped[str | None] = mapped_column(sa.String(100))

    municipality = relationship("Municipality")
    item = relationship("StatusItem")
    set_by = relationship("User")
    permission_kind = "status"

    def scope_municipality_ids(self):
        return {self.municipality_id}
