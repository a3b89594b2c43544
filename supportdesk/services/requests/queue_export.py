"""Export of the queue rows a liaison selected: CSV (UTF-8 with BOM, for Excel) and XLSX."""
import csv
import io

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ... import permissions
from ...extensions import db
from ...i18n import N_
from ...models import SupportRequest
from ...models.support_request import KIND_LABELS
from ...timeutil import to_jst
from ...workflow import STATE_LABELS, State
from ..reports.exports import safe_cell
from .queue_bulk import selected_ids

HEADERS = [N_("番号"), N_("件名"), N_("市町"), N_("種別"), N_("状態"), N_("テーマ"), N_("担当者"),
           N_("受付日時"), N_("初回回答期限"), N_("更新")]


def _when(value):
    return to_jst(value).strftime("%Y-%m-%d %H:%M") if value else ""


def export_selection(actor, request_ids):
    """The selected requests the actor may see (scope_requests), by number: rows of cells."""
    ids = selected_ids(request_ids)
    stmt = permissions.scope_requests(
        sa.select(SupportRequest).where(SupportRequest.id.in_(ids)), actor).options(
        selectinload(SupportRequest.municipality), selectinload(SupportRequest.themes),
        selectinload(SupportRequest.assignee))
    rows = db.session.scalars(stmt.order_by(SupportRequest.number, SupportRequest.id)).all()
    return [[s.display_number, s.title, s.municipality.name, _(KIND_LABELS[s.kind]),
             _(STATE_LABELS[State(s.state)]), "、".join(t.label() for t in s.themes),
             s.assignee.display_name if s.assignee else "", _when(s.submitted_at),
             _when(s.first_response_due_at), _when(s.updated_at)] for s in rows]


def selection_csv(rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([_(h) for h in HEADERS])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def selection_xlsx(rows):
    from openpyxl import Workbook  # lazy: ~7 MiB, needed only by the XLSX download
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("依頼一覧")
    ws.append([_(h) for h in HEADERS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for col, width in zip("ABCDEFGHIJ", (10, 40, 10, 10, 10, 24, 14, 17, 17, 17)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
