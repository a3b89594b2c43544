"""The printed reports: their titles (shared with the XLSX) and HTML to an A4 PDF (WeasyPrint).

WeasyPrint is imported inside `html_to_pdf` only: it is large, and a worker that never prints
never loads it. The fonts come from the system (fontconfig: Debian's fonts-ipafont-gothic) and
WeasyPrint embeds the glyphs it uses. The document may load nothing: every URL is refused, so a
report cannot reach another host (or a file on this one) while it is printed.
"""
from ...timeutil import fiscal_year_label, wareki_month

def monthly_title(year, month):
    """月次報告 令和7年4月分(2025年4月): the title of the printed report and of the XLSX."""
    return f"月次報告 {wareki_month(year, month)}分({year}年{month}月)"


def fiscal_title(fy):
    """年度報告 令和7年度(2025年度)."""
    return f"年度報告 {fiscal_year_label(fy)}({fy}年度)"


def html_to_pdf(html):
    """The PDF bytes of a self-contained HTML document (styles inline, charts inline SVG)."""
    from weasyprint import HTML  # heavy: loaded where a PDF is made, not at import
    from weasyprint.urls import URLFetcher

    # No protocol allowed: http(s), file: and the rest are all refused (and left out). Tagged:
    # headings, tables and the document's language travel into the PDF for assistive tools.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf(
        pdf_tags=True)
