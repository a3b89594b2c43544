"""The desk's identity as pages, mail and feeds show it: the prefecture, the desk's name, what
it calls its municipalities (市町 / 市町村), the footer. One owner: the desk profile row seeded
from the prefecture pack (services/packs), cached with the other reference lists; a database
not seeded yet reads the configured pack itself. An admin changes it with update_desk_profile
(audited; the reference version is bumped so every worker shows it at once)."""
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _

from ..extensions import db
from ..models import DeskProfile
from ..timeutil import utcnow
from . import ValidationFailed


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


DEFAULT_COLOUR = "#0b5cab"


def accent_colour():
    """The pages' accent colour (links, primary buttons): the desk's, else the built-in one."""
    return desk().colour or DEFAULT_COLOUR


def contrast_with_white(colour):
    """WCAG 2 contrast ratio of #rrggbb against white."""
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


# What an admin may change after the pack (the pack, the prefecture's code and the tile map
# name the data the desk was set up from, and stay).
EDITABLE_FIELDS = ("desk_name", "prefecture_name", "municipalities_word", "municipalities_word_en",
                   "footer", "central_team", "mail_sender", "colour")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# A bare address (local@domain); the pack's default sender is at localhost, so no dot is required.
ADDRESS_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$")


def update_desk_profile(actor, *, now=None, **values):
    """Change the desk's identity: one audit row with what changed, before and after; the
    reference version is bumped so every page shows it on its next request."""
    from .audit import record_audit
    from .reference import bump_reference_version

    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    values = {k: (v.strip() if isinstance(v, str) else v) or None for k, v in values.items()}
    if values.get("colour") and not COLOUR_RE.match(values["colour"]):
        raise ValidationFailed(_("色は #0b5cab のように # と6桁の16進数で入力してください。"), "colour")
    # White text on it (buttons) and it on white (links) must stay readable (WCAG 1.4.3).
    if values.get("colour") and contrast_with_white(values["colour"]) < 4.5:
        raise ValidationFailed(_("この色では白い文字や白地の上のリンクが読みにくくなります(コントラスト比%(ratio).1f、4.5以上が必要)。もっと濃い色を選んでください。",
                                 ratio=contrast_with_white(values["colour"])), "colour")
    if values.get("mail_sender") and not ADDRESS_RE.match(values["mail_sender"]):
        raise ValidationFailed(_("メールアドレスの形式が正しくありません。"), "mail_sender")
    for required in set(values) - {"mail_sender", "colour"}:
        if not values[required]:
            raise ValidationFailed(_("入力してください。"), required)
    now = now or utcnow()
    profile = db.session.get(DeskProfile, 1)
    if profile is None:  # a desk older than the profile row: start it from what it shows now
        current = desk()
        profile = DeskProfile(id=1, **{f: getattr(current, f) for f in FIELDS})
        db.session.add(profile)
    before = {k: getattr(profile, k) for k in values}
    changed = {k: v for k, v in values.items() if before[k] != v}
    if not changed:
        return {}
    for key, value in changed.items():
        setattr(profile, key, value)
    profile.updated_at = now
    db.session.flush()
    bump_reference_version()
    record_audit("desk_profile.updated", actor=actor, target=profile, now=now,
                 before={k: before[k] for k in changed}, after=changed)
    return changed
