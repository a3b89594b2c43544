"""The programme catalogue (講座メニュー, 支援の種類, 専門人材の種別): seeded from the prefecture
pack, edited by an admin afterwards. Rows elsewhere store an entry's key."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime

# Which list an entry belongs to, and what stores its key:
# lecture_menu -> support_requests.program; support_kind -> support_requests.help_wanted and
# support_actions.kind; expert_kind -> expert_profiles.kind.
CATALOGUE_LISTS = ("lecture_menu", "support_kind", "expert_kind")
LIST_LABELS = {"lecture_menu": N_("講座メニュー"), "support_kind": N_("支援の種類"),
               "expert_kind": N_("専門人材の種別")}
KEY_WIDTHS = {"lecture_menu": 20, "support_kind": 20, "expert_kind": 30}


class CatalogueEntry(db.Model):
    """One choice of a catalogue list; a retired entry (active false) is no longer offered but
    keeps its label for the rows that hold it."""

    __tablename__ = "catalogue_entries"
    __table_args__ = (
        sa.UniqueConstraint("list", "key"),
        sa.CheckConstraint("list IN ('lecture_menu', 'support_kind', 'expert_kind')", name="list"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list: Mapped[str] = mapped_column(sa.String(20))
    key: Mapped[str] = mapped_column(sa.String(30))
    name_ja: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    guidance_ja: Mapped[str | None] = mapped_column(sa.Text)
    guidance_en: Mapped[str | None] = mapped_column(sa.Text)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[object | None] = mapped_column(UTCDateTime)
