"""The municipality tile map's data: where each tile sits (shipped data, one file per prefecture)
and how recently the desk was in touch with each municipality."""
import csv
import io
from datetime import timedelta
from functools import cache
from importlib import resources

import sqlalchemy as sa

from ...extensions import db
from ...i18n import N_
from ...models import Municipality
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


def last_contacts(moment, region_ids):
    """{municipality id: time of the last contact before `moment`} (one grouped query)."""
    contacts = r._contacts(region_ids, until=moment)
    return dict(db.session.execute(sa.select(contacts.c.mid, sa.func.max(contacts.c.at))
                                   .group_by(contacts.c.mid)).all())


def contact_recency_tiles(moment, region_ids):
    """One tile per municipality in scope: name, place, the days since its last contact before
    `moment` (None: never) and the shade for those days."""
    layout = desk_tile_layout()
    stmt = sa.select(Municipality).order_by(Municipality.code)
    if region_ids is not None:
        stmt = stmt.where(Municipality.region_id.in_(region_ids))
    last = last_contacts(moment, region_ids)
    tiles = []
    for m in db.session.scalars(stmt):
        if m.code not in layout:
            continue
        at = last.get(m.id)
        days = None if at is None else max(0, (moment - at) // timedelta(days=1))
        col, row = layout[m.code]
        tiles.append({"code": m.code, "name": m.name, "col": col, "row": row, "days": days,
                      "shade": _shade(days)})
    return tiles
