"""Regions (圏域) and municipalities (市町) with the profile fields liaisons maintain."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow

MUNICIPALITY_KINDS = (N_("市"), N_("町"), N_("村"), N_("特別区"), N_("政令市"))
POPULATION_BANDS = (N_("5万人未満"), N_("5~10万人"), N_("10~20万人"), N_("20~50万人"), N_("50~100万人"), N_("100万人以上"))
# The package's table of DX / information staff per municipality.
DX_STAFF_BANDS = ("1", "2", "3", "4", "5", "6~10", "11~20", "21~50", "51~")
DX_STEPS = (0, 1, 2, 3)


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    # A region outside the liaison scheme (the pack's central regions, e.g. a 政令市): its
    # requests go to the central team.
    has_liaison: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    # How many months a periodic-round cycle lasts (3 = once a quarter).
    round_cycle_months: Mapped[int] = mapped_column(default=3)

    municipalities = relationship("Municipality", back_populates="region", order_by="Municipality.code")

    def __repr__(self):
        return f"<Region {self.name}>"


class Municipality(db.Model):
    __tablename__ = "municipalities"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('市', '町', '村', '特別区', '政令市')", name="kind"),
        sa.CheckConstraint("dx_step IS NULL OR (dx_step BETWEEN 0 AND 3)", name="dx_step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(6), unique=True)  # JIS X 0401/0402
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kana: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[str] = mapped_column(sa.String(8))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    population_band: Mapped[str | None] = mapped_column(sa.String(20))
    dx_staff_band: Mapped[str | None] = mapped_column(sa.String(20))
    cio_appointed: Mapped[bool] = mapped_column(default=False)
    dx_plan_in_place: Mapped[bool] = mapped_column(default=False)
    dx_step: Mapped[int | None] = mapped_column()
    profile_note: Mapped[str | None] = mapped_column(sa.Text)
    profile_updated_at: Mapped[object | None] = mapped_column(UTCDateTime)

    region = relationship("Region", back_populates="municipalities")

    def touch_profile(self, now=None):
        self.profile_updated_at = now or utcnow()

    def __repr__(self):
        return f"<Municipality {self.code} {self.name}>"


class RegionMembership(db.Model):
    """Which region a municipality belonged to, and when: [valid_from, valid_to), NULL bounds
    open (since the desk began / still so). Written by the seed, the migration that added it
    and services/regions.move_municipality (which closes the open row and appends the next);
    reports that place a contact or a visit in a region read it, so a move never rewrites the
    past. Municipality.region_id stays the current region (routing, scopes, pickers)."""
    __tablename__ = "region_memberships"
    __table_args__ = (
        sa.CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from",
                           name="valid_period"),
        sa.Index("ix_region_memberships_municipality_period", "municipality_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    valid_from: Mapped[object | None] = mapped_column(UTCDateTime)
    valid_to: Mapped[object | None] = mapped_column(UTCDateTime)

    municipality = relationship("Municipality")
    region = relationship("Region")

    def __repr__(self):
        return f"<RegionMembership m={self.municipality_id} r={self.region_id} {self.valid_from}..{self.valid_to}>"
