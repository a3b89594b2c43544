"""The desk's identity as pages, mail and feeds show it: the prefecture, the desk's name, what
it calls its municipalities (市町 / 市町村), the footer. One owner: the desk profile row seeded
from the prefecture pack (services/packs), cached with the other reference lists; a database
not seeded yet reads the configured pack itself."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context

from ..extensions import db
from ..models import DeskProfile


@dataclass(frozen=True)
class DeskRef:
    pack: str
    prefecture_code: str
    prefecture_name: str
    desk_name: str
    municipalities_word: str
    municipalities_word_en: str
    footer: str
    central_team: str
    mail_sender: str | None
    colour: str | None
    tile_map: str | None

    def word(self, locale="ja"):
        """市町 / 市町村 (or the English word): what this prefecture calls its municipalities."""
        return self.municipalities_word_en if locale == "en" else self.municipalities_word


FIELDS = tuple(DeskRef.__dataclass_fields__)


def _from_pack(pack):
    return DeskRef(pack=pack.key, prefecture_code=pack.prefecture_code,
                   prefecture_name=pack.prefecture_name, desk_name=pack.desk_name,
                   municipalities_word=pack.municipalities_word,
                   municipalities_word_en=pack.municipalities_word_en, footer=pack.footer,
                   central_team=pack.central_team, mail_sender=pack.mail_sender,
                   colour=pack.colour, tile_map=pack.tile_map)


def load_desk():
    """The profile row as a frozen DeskRef (reference-cache loader)."""
    row = None
    if sa.inspect(db.session.connection()).has_table("desk_profiles"):  # older databases: the pack
        row = db.session.execute(sa.select(*(getattr(DeskProfile, f) for f in FIELDS))
                                 .where(DeskProfile.id == 1)).first()
    if row is not None:
        return DeskRef(*row)
    from .packs import load_pack

    return _from_pack(load_pack(current_app.config.get("PREFECTURE") if has_app_context() else None))


def ics_prodid():
    """The PRODID of every iCalendar file the desk writes (the feed, a meeting's .ics)."""
    return f"-//{desk().pack.title()} DX support desk//supportdesk//JA"


def desk():
    """The desk's identity (cached per process, refreshed on an admin's change)."""
    from .reference import reference_list

    return reference_list("desk")
