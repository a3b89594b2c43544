"""The municipality tile map's data: where each tile sits (shipped data, one file per prefecture)
and how recently the desk was in touch with each municipality."""
import csv
import io
from datetime import timedelta
from functools import cache
from importlib import resources

from ...i18n import N_
from . import figures as r

# A layout file in supportdesk/data/ (code,name,col,row: col 0 is the west, row 0 the north),
# named by the prefecture pack's `tile_map`; a municipality missing there is not drawn. A pack
# without one gets a plain grid: a row per region, its municipalities in code order.
TILE_LAYOUT = "tile_map.csv"

# (upper bound in days, shade, words): the legend and the buckets are one table.
RECENCY_BUCKETS = ((30, 0, N_("30日以内に接点あり")), (90, 1, N_("31〜90日前に接点あり")),
                   (None, 2, N_("90日を超えて接点なし")))
NEVER = (3, N_("接点の記録なし"))


@cache
def tile_layout(name=TILE_LAYOUT):
    """{municipality code: (col, row)} from the shipped layout file."""
    text = resources.files("supportdesk.data").joinpath(name).read_text(encoding="utf-8")
    return {row["code"]: (int(row["col"]), int(row["row"]))
            for row in csv.DictReader(io.StringIO(text))}


def desk_tile_layout():
    """The layout of this desk's prefecture: its pack's file, or a grid by region."""
    from ..desk import desk
    from ..reference import municipalities, regions

    name = desk().tile_map
    if name:
        return tile_layout(name)
    row_of = {r.id: i for i, r in enumerate(regions())}
    layout, col = {}, {}
    for m in municipalities():
        row = row_of.get(m.region_id, len(row_of))
        layout[m.code] = (col.get(row, 0), row)
        col[row] = col.get(row, 0) + 1
    return layout


def recency_legend():
    return [(shade, words) for _days, shade, words in RECENCY_BUCKETS] + [NEVER]


def _shade(days):
    if days is None:
        return NEVER[0]
    for bound, shade, _words in RECENCY_BUCKETS:
        if bound is None or days <= bound:
            return shade
    raise AssertionError("unreachable")


def contact_recency_tiles(moment, region_ids, last_by_code=None):
    """One tile per municipality in scope: name, place, the days since its last contact before
    `moment` (None: never) and the shade for those days. `last_by_code`: the last contacts
    before `moment` when the caller has them (a report's "last_contacts" at its month's end)."""
    layout = desk_tile_layout()
    munis = r.municipalities_of(region_ids)
    if last_by_code is None:
        by_id = r.last_contacts(moment, region_ids)
        last_by_code = {m.code: by_id.get(m.id) for m in munis}
    tiles = []
    for m in munis:
        if m.code not in layout:
            continue
        at = last_by_code.get(m.code)
        days = None if at is None else max(0, (moment - at) // timedelta(days=1))
        col, row = layout[m.code]
        tiles.append({"code": m.code, "name": m.name, "col": col, "row": row, "days": days,
                      "shade": _shade(days)})
    return tiles
