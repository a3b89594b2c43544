"""The desk's identity (one row): which prefecture pack it was set up from, its name, what it
calls its municipalities, its footer, mail sender name and colour. Seeded from the pack; an
admin may change each value afterwards (audited)."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime


class DeskProfile(db.Model):
    __tablename__ = "desk_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    pack: Mapped[str] = mapped_column(sa.String(40))
    prefecture_code: Mapped[str] = mapped_column(sa.String(2))
    prefecture_name: Mapped[str] = mapped_column(sa.String(20))
    desk_name: Mapped[str] = mapped_column(sa.String(80))
    municipalities_word: Mapped[str] = mapped_column(sa.String(20))
    municipalities_word_en: Mapped[str] = mapped_column(sa.String(40))
    footer: Mapped[str] = mapped_column(sa.String(200))
    central_team: Mapped[str] = mapped_column(sa.String(40))
    mail_sender: Mapped[str | None] = mapped_column(sa.String(200))
    colour: Mapped[str | None] = mapped_column(sa.String(7))
    tile_map: Mapped[str | None] = mapped_column(sa.String(80))
    updated_at: Mapped[object | None] = mapped_column(UTCDateTime)
