"""A pack's [demo] section: who plays whom when the demo data, written in another pack's names,
is seeded on this prefecture's desk (supportdesk/demo/cast.py applies it).

It names the pack the demo is written for (`cast_from`) and four tables, each "name there" =
"name here": [demo.municipalities], [demo.regions], [demo.handles] (the place-named tokens of
the demo's e-mail addresses) and [demo.places] (other local wording, replaced as written).
Checked with the rest of the pack, each error naming the line: every name on the left exists
in the other pack, every name on the right in this one, no one plays two parts, and a
municipality's player sits in the region that plays its region, so the demo's routing (which
liaison team a request goes to) means the same thing here.
"""
import re
import tomllib
from dataclasses import dataclass
from functools import cache

DEMO_KEYS = {"cast_from", "municipalities", "regions", "handles", "places"}
HANDLE = re.compile(r"[a-z][a-z0-9-]*\Z")


@dataclass(frozen=True)
class DemoSection:
    cast_from: str
    municipalities: tuple  # ((name in cast_from's pack, name in this pack), ...)
    regions: tuple
    handles: tuple
    places: tuple


def _pairs(raw, name, lines, section_line, errors):
    """The (left, right) text pairs of a [demo.<name>] table, in file order."""
    if raw is None:
        return []
    at = lines.find(f"[demo.{name}]", section_line)
    if not isinstance(raw, dict):
        errors.append(lines.at(at, f"[demo.{name}] must be a table"))
        return []
    out = []
    for left, right in raw.items():
        line = _key_line(lines, left, at)
        if not isinstance(right, str) or not right.strip():
            errors.append(lines.at(line, f"{left!r} needs a name (text)"))
        else:
            out.append((left, right, line))
    return out


def _key_line(lines, key, after):
    """The line of `key = ...` (quoted or bare) from line `after` on."""
    for i in range(after, len(lines.lines)):
        head = lines.lines[i].split("#", 1)[0].split("=", 1)[0].strip()
        if head.strip('"') == key and "=" in lines.lines[i]:
            return i + 1
    return after


def _once(pairs, what, lines, errors):
    seen = {}
    for left, right, line in pairs:
        if right in seen:
            errors.append(lines.at(line, f"{right} already plays {seen[right]} ({what})"))
        seen.setdefault(right, left)


def check_demo_section(raw, lines, *, key, regions):
    """Problems of a pack's [demo] section ("file:line: message"); none when it has none.
    `regions` are this pack's PackRegions."""
    if raw is None:
        return []
    from . import PackError, load_pack, pack_keys

    section = lines.find("[demo]")
    if not isinstance(raw, dict):
        return [lines.at(section, "[demo] must be a table")]
    errors = [lines.at(lines.find(k, section), f"unknown key {k!r} in [demo]")
              for k in sorted(set(raw) - DEMO_KEYS)]
    source_key = raw.get("cast_from")
    if source_key == key or source_key not in pack_keys():
        return errors + [lines.at(lines.find("cast_from", section),
                                  f"cast_from must name another pack ({', '.join(pack_keys())})")]
    try:
        source = load_pack(source_key)
    except PackError as exc:
        return errors + [lines.at(lines.find("cast_from", section),
                                  f"pack {source_key!r} is broken: {exc.errors[0]}")]
    here_region_of = {m.name: r.name for r in regions for m in r.members}
    there_region_of = {m.name: r.name for r in source.regions for m in r.members}
    here_regions, there_regions = {r.name for r in regions}, {r.name for r in source.regions}

    region_pairs = _pairs(raw.get("regions"), "regions", lines, section, errors)
    for left, right, line in region_pairs:
        if left not in there_regions:
            errors.append(lines.at(line, f"{left} is not a region of {source.prefecture_name}"))
        if right not in here_regions:
            errors.append(lines.at(line, f"{right} is not a region of this pack"))
    _once(region_pairs, "regions", lines, errors)
    region_cast = {left: right for left, right, _line in region_pairs}

    muni_pairs = _pairs(raw.get("municipalities"), "municipalities", lines, section, errors)
    for left, right, line in muni_pairs:
        if left not in there_region_of:
            errors.append(lines.at(line, f"{left} is not a municipality of "
                                         f"{source.prefecture_name}"))
        elif right not in here_region_of:
            errors.append(lines.at(line, f"{right} is not a municipality of this pack"))
        elif there_region_of[left] not in region_cast:
            errors.append(lines.at(line, f"{left}'s region {there_region_of[left]} "
                                         "is cast to no region"))
        elif here_region_of[right] != region_cast[there_region_of[left]]:
            errors.append(lines.at(line, f"{right} is in {here_region_of[right]}, but {left}'s "
                                         f"region {there_region_of[left]} is played by "
                                         f"{region_cast[there_region_of[left]]}"))
    _once(muni_pairs, "municipalities", lines, errors)

    handle_pairs = _pairs(raw.get("handles"), "handles", lines, section, errors)
    for left, right, line in handle_pairs:
        for token in (left, right):
            if not HANDLE.match(token):
                errors.append(lines.at(line, f"{token!r} is not an e-mail handle (a-z, 0-9, -)"))
    _once(handle_pairs, "handles", lines, errors)
    _pairs(raw.get("places"), "places", lines, section, errors)
    return errors


@cache
def load_demo_section(wanted):
    """The [demo] section of a pack (checked with the whole pack), or None when it has none."""
    from . import _pack_files, load_pack

    pack = load_pack(wanted)
    return demo_section_of(_pack_files()[pack.key].read_text("utf-8"))


def demo_section_of(text):
    """The [demo] section of a pack's text (already checked by parse_pack), or None."""
    raw = tomllib.loads(text).get("demo")
    if raw is None:
        return None

    def pairs(name):
        return tuple((k, v) for k, v in (raw.get(name) or {}).items())

    return DemoSection(cast_from=raw["cast_from"], municipalities=pairs("municipalities"),
                       regions=pairs("regions"), handles=pairs("handles"), places=pairs("places"))
