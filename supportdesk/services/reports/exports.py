"""Exports of the monthly report (CSV, UTF-8 with BOM for Excel in Japan, and XLSX) and of the
fiscal-year report (XLSX)."""
import csv
import io

from ...i18n import N_
from ...timeutil import fiscal_year_label, wareki_date, wareki_month
from .monthly import flat_rows

HEADERS = [N_("区分"), N_("項目"), N_("当月"), N_("前月"), N_("前年同月")]
# A text cell that starts with one of these is a formula to Excel (CSV) or to openpyxl (XLSX).
# Labels can come from people (a bridging target department is typed by a liaison), so such a
# text gets a leading apostrophe: shown as text, never run (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def report_csv(report):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["対象月", report["period"], report["fy_label"]])
    writer.writerow(HEADERS)
    for row in flat_rows(report):
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _print_on_a4(ws, title, last_column="E", landscape=False):
    """A4 portrait, as wide as the page, the title and the headers on every page, page numbers:
    a printout keeps 当月・前月・前年同月 beside their labels."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = (ws.ORIENTATION_LANDSCAPE if landscape  # the fiscal year's months
                                 else ws.ORIENTATION_PORTRAIT)  # five columns fit the width
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.print_title_rows = "1:2"
    ws.print_area = f"A1:{last_column}{ws.max_row}"
    ws.print_options.horizontalCentered = True
    ws.oddHeader.center.text = title
    ws.oddFooter.center.text = "&P / &N"
    ws.evenHeader.center.text = title
    ws.evenFooter.center.text = "&P / &N"


def report_xlsx(report, title=None, made_at=None):
    """The report as a workbook: the printed report's title (services/reports/pdf.py) and the
    day it was made, in 和暦 with the western year beside it, above the figures."""
    from openpyxl import Workbook  # lazy: ~7 MiB, needed only by the XLSX download
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = report["period"]
    title = title or f"月次報告 {report['period']}"
    made = f"作成日 {wareki_date(made_at, western=True)}" if made_at else None
    ws.append([title, report["fy_label"], made])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(HEADERS)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in flat_rows(report):
        ws.append([safe_cell(v) for v in row])  # numbers stay numbers: openpyxl writes int cells
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 44
    for col in "CDE":
        ws.column_dimensions[col].width = 10
    ws.freeze_panes = "A3"
    _print_on_a4(ws, f"{title} {report['fy_label']}")
    if made:
        ws.oddFooter.right.text = ws.evenFooter.right.text = made
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


FISCAL_MONTH_HEADERS = [N_("月"), N_("新規"), N_("前年度"), N_("完了"), N_("前年度"),
                        N_("出前講座"), N_("前年度"), N_("接点のあった市町"), N_("前年度"),
                        N_("累計の市町"), N_("前年度"), N_("初回対応の中央値(営業日)"),
                        N_("解決の中央値(営業日)"), N_("満足度の平均"), N_("前年度")]
_FISCAL_KEYS = ("new", "closed", "lectures", "reach", "reach_to_date")


def fiscal_xlsx(report, fy, title=None, made_at=None):
    """The fiscal-year report (fiscal_series.build_fiscal_report) as a workbook: the printed
    report's title and the day it was made in 和暦 (western year beside), the comparison with the
    year before, then the months (in 和暦) with the figures of the charts."""
    from openpyxl import Workbook  # lazy, as above
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = f"FY{fy}"
    title = title or f"年度報告 {fiscal_year_label(fy)}"
    made = f"作成日 {wareki_date(made_at, western=True)}" if made_at else None
    ws.append([title, f"{fiscal_year_label(fy)}({fy}年度)", made])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["項目", fiscal_year_label(fy), f"前年度({fiscal_year_label(fy - 1)})"])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in report["compare"]:
        ws.append([safe_cell(row["label"]), row["value"], row["prev"]])
    ws.append([])
    ws.append(list(FISCAL_MONTH_HEADERS))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for m in report["months"]:
        year, month = int(m["ym"][:4]), int(m["ym"][5:])
        line = [wareki_month(year, month, western=True)]
        for key in _FISCAL_KEYS:
            line += [m[key], m["prev"][key]]
        line += [m["first_response"], m["resolution"], m["satisfaction"],
                 m["prev"]["satisfaction"]]
        ws.append(line)
    ws.column_dimensions["A"].width = 30
    for col in "BCDEFGHIJKLMNO":
        ws.column_dimensions[col].width = 11
    ws.freeze_panes = "A3"
    _print_on_a4(ws, f"{title}", last_column="O", landscape=True)
    if made:
        ws.oddFooter.right.text = ws.evenFooter.right.text = made
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
