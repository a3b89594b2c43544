"""The tracker over all 41: the matrix (current value, its age, its change since the start of
the fiscal year), the managers' step figures (this FY against last), CSV and XLSX exports."""
import csv
import io
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...i18n import N_
from ...models import Municipality, Region, StatusValue
from ...timeutil import fiscal_year, fiscal_year_label
from ..reports.exports import safe_cell
from .status import (active_items, change_since, display_value, step_label, today_of,
                     values_as_of)


def fy_start(fy):
    return date(fy, 4, 1)


def visible_municipalities(user, region_id=None):
    permissions.require(user, "overview", "status")
    stmt = sa.select(Municipality).join(Region).order_by(Region.sort_order, Municipality.code)
    if region_id:
        stmt = stmt.where(Municipality.region_id == region_id)
    return db.session.scalars(stmt).all()


def status_matrix(user, *, now, region_id=None):
    """{"items", "rows": [{"municipality", "cells": [{"row", "text", "age_days", "change"}]}],
    "fy"}: two queries for the values (now, and before the fiscal year began)."""
    munis = visible_municipalities(user, region_id)
    items = active_items()
    today = today_of(now)
    fy = fiscal_year(today)
    ids = [m.id for m in munis]
    current = values_as_of(None, ids)
    before = values_as_of(fy_start(fy) - timedelta(days=1), ids)
    rows = []
    for m in munis:
        cells = []
        for item in items:
            row = current.get((m.id, item.id))
            cells.append({"item": item, "row": row, "text": display_value(row),
                          "age_days": (today - row.as_of).days if row else None,
                          "change": change_since(row, before.get((m.id, item.id)))})
        rows.append({"municipality": m, "cells": cells})
    return {"items": items, "rows": rows, "fy": fy, "fy_label": fiscal_year_label(fy)}


def step_figures(user, *, now):
    """Per step item and region: how many municipalities have reached each step (at least it),
    now (this FY) and at the end of last FY. Managers, liaisons and admins."""
    munis = visible_municipalities(user)
    items = [i for i in active_items() if i.item_type == "step" and i.item_group != "profile"]
    today = today_of(now)
    fy = fiscal_year(today)
    ids = [m.id for m in munis]
    now_values = values_as_of(None, ids, [i.id for i in items])
    last_values = values_as_of(fy_start(fy) - timedelta(days=1), ids, [i.id for i in items])
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    out = []
    for item in items:
        steps = item.steps or []
        table = []
        for region in regions + [None]:
            members = [m for m in munis if region is None or m.region_id == region.id]

            def reached(values, k, members=members):
                return sum(1 for m in members if (v := values.get((m.id, item.id))) is not None
                           and v.value_number >= k)

            table.append({"region": region, "total": len(members),
                          "steps": [{"label": step_label(item, k),
                                     "this_fy": reached(now_values, k),
                                     "last_fy": reached(last_values, k)}
                                    for k in range(len(steps))]})
        out.append({"item": item, "regions": table})
    return {"fy": fy, "fy_label": fiscal_year_label(fy),
            "last_fy_label": fiscal_year_label(fy - 1), "items": out}


CHANGE_WORDS = {"new": N_("新規"), "up": "↑", "down": "↓", "changed": N_("変更")}


def _table(matrix, locale):
    head = [_("市町コード"), _("市町"), _("圏域")]
    for item in matrix["items"]:
        label = item.label(locale)
        head += [label, f"{label} {_('時点')}", f"{label} {_('年度内の変化')}"]
    body = []
    for r in matrix["rows"]:
        m = r["municipality"]
        line = [m.code, m.name, m.region.name]
        for c in r["cells"]:
            line += [safe_cell(c["text"]), c["row"].as_of.isoformat() if c["row"] else "",
                     _(CHANGE_WORDS[c["change"]]) if c["change"] else ""]
        body.append(line)
    return head, body


def matrix_csv(matrix, locale="ja"):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    head, body = _table(matrix, locale)
    writer.writerow(head)
    writer.writerows(body)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def matrix_xlsx(matrix, locale="ja"):
    from openpyxl import Workbook  # lazy: needed only by the XLSX download
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("DX状況")
    head, body = _table(matrix, locale)
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for line in body:
        ws.append(line)
    ws.freeze_panes = "D2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def year_of_municipality(municipality, fy, *, now):
    """The fiscal-year sheet's DX状況: per item the value at the start of the year (31 March
    before), at its end (or today, for the current year), the change between them and how many
    values were recorded during the year."""
    start, end = fy_start(fy), min(date(fy + 1, 3, 31), today_of(now))
    items = active_items()
    before = values_as_of(start - timedelta(days=1), [municipality.id])
    after = values_as_of(end, [municipality.id])
    counts = dict(db.session.execute(
        sa.select(StatusValue.item_id, sa.func.count(StatusValue.id))
        .where(StatusValue.municipality_id == municipality.id, StatusValue.as_of >= start,
               StatusValue.as_of <= end).group_by(StatusValue.item_id)).all())
    rows = []
    for item in items:
        b, a = before.get((municipality.id, item.id)), after.get((municipality.id, item.id))
        rows.append({"item": item, "start": display_value(b), "end": display_value(a),
                     "end_as_of": a.as_of if a else None, "change": change_since(a, b),
                     "recorded": counts.get(item.id, 0)})
    return {"rows": rows, "end": end}
