"""The file register (ファイル管理簿): every closed record with its class, period, disposition
and place, as rows, CSV (UTF-8 with BOM, for Excel in Japan) and XLSX."""
import csv
import io

import sqlalchemy as sa

from ...extensions import db
from ...i18n import N_
from ...models import RetentionRecord
from ...models.retention import (
    CLASS_LABELS,
    DISPOSITION_LABELS,
    STATUS_LABELS,
    RetentionClass,
    RetentionStatus,
)
from ...timeutil import wareki_date
from ..reports.exports import safe_cell
from .kinds import KINDS, closed_records, policies
from .periods import retention_period

HEADERS = [N_("分類"), N_("名称"), N_("保存期間"), N_("保存期間の起算日"), N_("保存期間の満了日"),
           N_("満了時の措置"), N_("保存場所"), N_("状態")]
PLACE_DESK = N_("市町DX支援デスク(電子)")
PLACE_GONE = N_("(廃棄済)")


def _place(row):
    if row is None or row.status in (RetentionStatus.DUE.value, RetentionStatus.CONFIRMED.value):
        return PLACE_DESK
    if row.status == RetentionStatus.DISPOSED.value:
        return PLACE_GONE
    return row.archive_path


def register_rows(*, now, translate=str):
    """Dicts with the register's columns, kind by kind, oldest closure first."""
    current = policies()
    rows = {(r.kind, r.record_id): r for r in db.session.scalars(sa.select(RetentionRecord))}
    out = []
    for kind, spec in KINDS.items():
        retention_class, disposition = current[kind]
        for rec in closed_records(kind, now=now):
            row = rows.get((kind.value, rec.record_id))
            if row is not None:
                cls, start, end = RetentionClass(row.retention_class), row.starts_on, row.ends_on
                disp, status = row.disposition, row.status
            else:
                cls, disp, status = retention_class, disposition.value, None
                start, end = retention_period(rec.closed, retention_class)
            out.append({
                "kind": translate(spec.label), "name": rec.name,
                "class": translate(CLASS_LABELS[cls]), "start": wareki_date(start),
                "end": wareki_date(end) if end else translate(CLASS_LABELS[cls]),
                "disposition": translate(DISPOSITION_LABELS[disp]),
                "place": translate(_place(row)),
                "status": translate(STATUS_LABELS[status]) if status else "",
                "hold": bool(row is not None and row.legal_hold),
            })
    return out


def _values(row):
    return [row["kind"], row["name"], row["class"], row["start"], row["end"],
            row["disposition"], row["place"], row["status"]]


def register_csv(rows, translate=str):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([translate(h) for h in HEADERS])
    for row in rows:
        writer.writerow([safe_cell(v) for v in _values(row)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def register_xlsx(rows, *, title, made_at, translate=str):
    from openpyxl import Workbook  # lazy: needed only by the download
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "ファイル管理簿"
    ws.append([title, f"作成日 {wareki_date(made_at, western=True)}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([translate(h) for h in HEADERS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in _values(row)])
    for col, width in zip("ABCDEFGH", (28, 44, 10, 18, 18, 12, 36, 10)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A3"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.print_title_rows = "1:2"
    ws.oddFooter.center.text = "&P / &N"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
