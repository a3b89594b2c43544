"""The project's participants on the 41-municipality tile map (services/reports/tiles.py's
layout, charts.tile_map's shades): 参加 darkest, then 検討中, 見送り, and 未回答 / 対象外."""
import sqlalchemy as sa

from ...extensions import db
from ...i18n import N_
from ...models import Municipality
from ..reports.tiles import tile_layout

SHADES = {"join": 0, "considering": 1, "decline": 2}
UNANSWERED, NOT_ELIGIBLE = N_("未回答"), N_("対象外")
LEGEND = ((0, N_("参加")), (1, N_("検討中")), (2, N_("見送り")), (3, N_("未回答・対象外")))


def participant_tiles(project, answers):
    """One tile per municipality: `answers` is {municipality id: ProjectAnswer} (what the reader
    may see). The note carries the words (the tile never speaks by colour alone)."""
    from ...models.project import ANSWERS

    layout = tile_layout()
    eligible = {e.municipality_id for e in project.eligibles}
    tiles = []
    for m in db.session.scalars(sa.select(Municipality).order_by(Municipality.code)):
        if m.code not in layout:
            continue
        col, row = layout[m.code]
        a = answers.get(m.id)
        if a is not None:
            shade, note = SHADES[a.answer], ANSWERS[a.answer]
        else:
            shade, note = 3, (UNANSWERED if m.id in eligible else NOT_ELIGIBLE)
        tiles.append({"code": m.code, "name": m.name, "col": col, "row": row, "shade": shade,
                      "note": note})
    return tiles
