"""The demo's cast: the demo data is written in the Hyogo pack's names; seeded on another
prefecture's desk, every name in it is replaced by the one that plays it there (the pack's
[demo] section, checked by services/packs/demo_section.py).

Each seeder asks `demo_cast()` for the desk's cast and passes its data through it: a title, a
body, a venue, an e-mail address, a display name, or a whole table of them. On the Hyogo desk
the cast is the identity and returns what it is given, so that demo stays as it was. A future
pack only writes its [demo] section.
"""
import re
from functools import cache
from pathlib import Path

from ..services.packs import PackError, load_pack
from ..services.packs.demo_section import load_demo_section

SOURCE_PACK = "hyogo"  # the pack whose names the demo is written in
SOURCE_WORD = "市町"   # what the demo's text calls the municipalities (as the source pack does)
# The place-named parts of the demo's e-mail addresses (sayo.joho@..., liaison.tajima@...).
DEMO_HANDLES = ("sayo", "kamikawa", "toyooka", "kobe", "nishiharima", "tajima", "hanshin")
EMAIL = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+")
KINDS = "市町村"


class CastError(PackError):
    """A pack that cannot play the demo: no [demo] section, or a name of the demo left uncast."""


def _stem(name):
    return name[:-1] if len(name) >= 3 and name[-1] in KINDS else None


def demo_source_text():
    """The demo's own source: the names it is written in are the ones to cast."""
    return "\n".join(p.read_text("utf-8") for p in sorted(Path(__file__).parent.glob("*.py"))
                     if p.name != "cast.py")


def names_in_demo():
    """(municipality names, region names) of the source pack that the demo's text names."""
    source, text = load_pack(SOURCE_PACK), demo_source_text()
    munis = [m.name for m in source.municipalities if m.name in text]
    regions = [r.name for r in source.regions
               if r.name in text or any(m.name in munis for m in r.members)]
    return munis, regions


class Cast:
    """Replaces the demo's names by the players of one pack; call it on text or on data."""

    def __init__(self, key, municipalities=(), regions=(), handles=(), places=(), words=()):
        self.key = key
        self.municipalities, self.regions = dict(municipalities), dict(regions)
        self.handles = dict(handles)
        self.identity = not (municipalities or regions or handles or places or words)
        table = dict(words)
        table.update(self.regions)
        for there, here in self.municipalities.items():
            table[there] = here
            if _stem(there) and _stem(here) and _stem(there) not in table:
                table.setdefault(_stem(there), _stem(here))  # 佐用 情報 → 阿南 情報
        table.update(places)
        self._codes = {}
        self.table = table
        patterns = [re.escape(k) for k in sorted(table, key=len, reverse=True) if k != SOURCE_WORD]
        if SOURCE_WORD in table:
            patterns.append(re.escape(SOURCE_WORD) + "(?!村)")
        self._pattern = re.compile("|".join(patterns)) if patterns else None
        self._handle = re.compile(r"(?<![A-Za-z0-9-])(" + "|".join(map(re.escape, self.handles))
                                  + r")(?![A-Za-z0-9-])") if self.handles else None

    def add_codes(self, pairs):
        """Municipality codes in the text (an address at 28501.demo...) follow their players."""
        self._codes.update(pairs)
        if pairs:
            self._code_pattern = re.compile(r"(?<![0-9])(" + "|".join(self._codes) + r")(?![0-9])")

    def text(self, value):
        if self.identity or not value:
            return value
        if self._handle is not None:
            value = EMAIL.sub(lambda m: self._handle.sub(
                lambda h: self.handles[h.group(1)], m.group(0)), value)
        if self._codes:
            value = self._code_pattern.sub(lambda m: self._codes[m.group(1)], value)
        if self._pattern is not None:
            value = self._pattern.sub(lambda m: self.table[m.group(0)], value)
        return value

    def __call__(self, value):
        """`value` with every name cast: text, or tuples, lists, sets and dicts of it."""
        if self.identity:
            return value
        if type(value) is str:  # enums (Role) are str too, and stay as they are
            return self.text(value)
        if isinstance(value, (tuple, list, set, frozenset)):
            return type(value)(self(v) for v in value)
        if isinstance(value, dict):
            return {self(k): self(v) for k, v in value.items()}
        return value

    def muni(self, name):
        """The player of a municipality of the demo (the name itself on the source desk)."""
        if self.identity:
            return name
        try:
            return self.municipalities[name]
        except KeyError:
            raise CastError([f"packs/{self.key}.toml: [demo.municipalities] casts no one as "
                             f"{name}"]) from None

    def email(self, address):
        return self.text(address)

    @property
    def central_stand_ins(self):
        """Regions here that play a source region without a liaison (Kobe's) but have a
        liaison of their own: the demo's central-team liaison works them, so that the
        requests of the municipality playing Kobe still reach the central team."""
        if self.identity:
            return ()
        source, here = load_pack(SOURCE_PACK), load_pack(self.key)
        central_here = {r.name for r in here.regions if r.central}
        return tuple(self.regions[r.name] for r in source.regions
                     if r.central and r.name in self.regions
                     and self.regions[r.name] not in central_here)


@cache
def cast_for(wanted=None):
    """The cast of a pack (its key, name or code; none: the default pack)."""
    pack = load_pack(wanted)
    return build_cast(pack, None if pack.key == SOURCE_PACK else load_demo_section(pack.key))


def build_cast(pack, section):
    """The cast of `pack` from its [demo] section; refused (CastError, naming the file and
    what is missing) when the demo names someone the section casts no one as."""
    if pack.key == SOURCE_PACK:
        return Cast(pack.key)
    where = f"packs/{pack.key}.toml"
    if section is None:
        raise CastError([f"{where}: has no [demo] section, so the demo (written in the "
                         f"{SOURCE_PACK} pack's names) cannot be seeded on {pack.prefecture_name}"])
    if section.cast_from != SOURCE_PACK:
        raise CastError([f"{where}: [demo] cast_from = {section.cast_from!r}, but the demo is "
                         f"written in the {SOURCE_PACK} pack's names"])
    source = load_pack(SOURCE_PACK)
    munis, regions = dict(section.municipalities), dict(section.regions)
    handles = dict(section.handles)
    used_munis, used_regions = names_in_demo()
    missing = [f"{where}: [demo.municipalities] casts no one as {n} (named in the demo)"
               for n in used_munis if n not in munis]
    missing += [f"{where}: [demo.regions] casts no region as {n} (named in the demo)"
                for n in used_regions if n not in regions]
    missing += [f"{where}: [demo.handles] gives no handle for {h!r} (in the demo's e-mail "
                f"addresses)" for h in DEMO_HANDLES if h not in handles]
    if missing:
        raise CastError(missing)
    words = [(source.prefecture_name, pack.prefecture_name)]
    if source.prefecture_name[-1] in "県府" and pack.prefecture_name[-1] in "県府":
        words.append((source.prefecture_name[:-1], pack.prefecture_name[:-1]))  # 兵庫 alone
    if pack.municipalities_word != SOURCE_WORD:
        words.append((SOURCE_WORD, pack.municipalities_word))
    cast = Cast(pack.key, section.municipalities, section.regions, section.handles,
                section.places, words)
    codes_there = {m.name: m.code for m in source.municipalities}
    codes_here = {m.name: m.code for m in pack.municipalities}
    cast.add_codes({codes_there[a]: codes_here[b] for a, b in munis.items()})
    return cast


def demo_cast():
    """The cast for the desk being seeded: the pack it was set up from."""
    import sqlalchemy as sa
    from flask import current_app

    from ..extensions import db
    from ..models import DeskProfile

    pack = db.session.scalar(sa.select(DeskProfile.pack).where(DeskProfile.id == 1))
    return cast_for(pack or current_app.config.get("PREFECTURE"))
