"""Charts, the municipality tile map, 和暦 and the printed (PDF) reports.

The figures come from the hand-built April 2025 of tests/test_reports.py: new 4 (前月 1,
前年同月 1), closed 2 (1, 1); 豊岡市's last contact is R6 at 20:00 on 30 April.
"""
import re
from datetime import UTC, date, datetime
import io

import pytest
from pypdf import PdfReader

from supportdesk.services.packs import load_pack
from supportdesk.services.reports import charts
from supportdesk.services.reports.tiles import contact_recency_tiles, tile_layout
from supportdesk.timeutil import JST, wareki_date, wareki_month
from tests.factories import make_user
from tests.test_reports import april  # noqa: F401  (the hand-built April 2025 fixture)


# --- 和暦 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("day, text", [
    (date(2026, 12, 2), "令和8年12月2日"),
    (date(2019, 5, 1), "令和元年5月1日"),
    (date(2019, 4, 30), "平成31年4月30日"),
    (date(1989, 1, 8), "平成元年1月8日"),
    # 15:00 UTC on 1 December is 2 December in Tokyo.
    (datetime(2026, 12, 1, 15, 0, tzinfo=UTC), "令和8年12月2日"),
])
def test_wareki_dates(day, text):
    assert wareki_date(day) == text


def test_wareki_with_the_western_year_beside_it():
    assert wareki_date(date(2026, 12, 2), western=True) == "令和8年12月2日(2026年)"
    assert wareki_month(2025, 4, western=True) == "令和7年4月(2025年4月)"


# --- charts (pure) ----------------------------------------------------------------------------

def test_a_chart_is_an_image_named_and_described_in_words_and_draws_nothing_from_a_host():
    svg = charts.column_chart("c1", "新規受付 <月別>", ["4月", "5月"],
                              [("今年度", [3, 0]), ("前年度", [1, None])], unit="件")
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">新規受付 &lt;月別&gt;</title>' in svg  # escaped
    desc = re.search(r'<desc id="c1-desc">(.*?)</desc>', svg).group(1)
    assert desc == "4月: 今年度 3件, 前年度 1件; 5月: 今年度 0件, 前年度 —件"
    # The only URL is the SVG namespace; no style attribute (the page's CSP forbids it).
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "style=" not in svg and "<script" not in svg
    # Two series × two months, one column each (an empty one is drawn flat).
    assert svg.count('fill="#0b5cab"') == 3 and svg.count('fill="#6b7280"') == 3  # + legend


def test_bar_chart_writes_each_number_and_a_dash_for_none():
    svg = charts.bar_chart("c2", "対応の速さ", ["中央値"], [("当月", [2.5]), ("前月", [None])],
                           unit="日")
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert "2.5日" in texts and "—" in texts


def test_every_municipality_has_one_tile_of_its_own():
    codes = {m.code for m in load_pack("hyogo").municipalities}
    layout = tile_layout()
    assert set(layout) == codes and len(codes) == 41
    assert len(set(layout.values())) == 41  # no two tiles on one place


def _contrast(a, b):
    def lum(h):
        c = [int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_chart_colours_meet_the_contrast_criteria():
    """WCAG 1.4.3 (text 4.5:1) and 1.4.11 (graphics 3:1), against the white of page and paper:
    the ratios axe leaves 'to review' inside an SVG are checked here."""
    assert _contrast(charts.INK, "#ffffff") >= 4.5
    assert all(_contrast(c, "#ffffff") >= 3 for c in charts.COLOURS)
    assert all(_contrast(fill, ink) >= 4.5 for fill, ink in charts.TILE_SHADES)
    assert _contrast("#f6f7f9", charts.INK) >= 4.5  # the page's background (app.css)


def test_tile_map_says_each_municipality_and_its_shade_in_words():
    tiles = [{"name": "豊岡市", "col": 3, "row": 0, "shade": 0, "note": "0日前"},
             {"name": "赤穂市", "col": 0, "row": 5, "shade": 3, "note": "なし"}]
    svg = charts.tile_map("t", "最後の接点", tiles, [(0, "30日以内"), (3, "記録なし")])
    desc = re.search(r'<desc id="t-desc">(.*?)</desc>', svg).group(1)
    assert desc == "豊岡市: 30日以内 0日前; 赤穂市: 記録なし なし"
    assert svg.count("<rect") == 4  # two tiles, two legend keys
    assert "豊岡市" in svg and "0日前" in svg


# --- the figures behind the tiles, and the pages ----------------------------------------------

@pytest.fixture
def manager(client, login_as, april):  # noqa: F811
    login_as(make_user("manager"))
    return client


def _check_recency_tiles():
    end = datetime(2025, 5, 1, tzinfo=JST)
    tiles = {t["name"]: t for t in contact_recency_tiles(end, None)}
    assert len(tiles) == 41
    assert tiles["豊岡市"]["days"] == 0 and tiles["豊岡市"]["shade"] == 0
    assert tiles["赤穂市"]["days"] is None and tiles["赤穂市"]["shade"] == 3
    # A liaison's regions only.
    from tests.factories import region
    assert {t["name"] for t in contact_recency_tiles(end, [region("但馬").id])} == {
        "豊岡市", "養父市", "朝来市", "香美町", "新温泉町"}


def _charts(page):
    return re.findall(r'<svg [^>]*class="chart-svg"[^>]*>.*?</svg>', page, re.S)


def test_report_pages_carry_their_charts_with_titles(manager):
    """The tiles' figures first (the service), then the pages (one fixture for both: the hand-
    built month is the slow part)."""
    _check_recency_tiles()
    page = manager.get("/reports/monthly/2025-04").get_data(as_text=True)
    found = _charts(page)
    titles = [re.search(r"<title[^>]*>(.*?)</title>", svg).group(1) for svg in found]
    assert "依頼の件数(当月・前月・前年同月)" in titles and "対応の速さ(営業日)" in titles
    assert "満足度の平均(5段階)" in titles and "市町ごとの最後の接点(月末時点)" in titles
    requests = found[titles.index("依頼の件数(当月・前月・前年同月)")]
    assert "新規受付: 当月 4件, 前月 1件, 前年同月 1件" in requests
    assert 'data-testid="tile-map"' in page and "/reports/monthly/2025-04.pdf" in page
    fiscal = manager.get("/reports/fiscal/2025").get_data(as_text=True)
    new = [svg for svg in _charts(fiscal) if "chart-fy-new-title" in svg][0]
    assert "4月: 令和7年度 (2025年度) 4件, 令和6年度 (2024年度) 1件" in new
    sheet = manager.get("/reports/municipality/28209/2025").get_data(as_text=True)  # 豊岡市
    muni = _charts(sheet)[0]
    assert "4月: 令和7年度 (2025年度) 2件" in muni and "5月: 令和7年度 (2025年度) 1件" in muni
    # The municipality's own page: this fiscal year against the last, whatever today is.
    from supportdesk.timeutil import fiscal_year, fiscal_year_label
    fy = fiscal_year(datetime.now(UTC))
    own = _charts(manager.get("/municipalities/28209").get_data(as_text=True))
    desc = re.search(r'<desc id="chart-muni-desc">(.*?)</desc>', own[0]).group(1)
    assert desc.count("月: ") == 12 and fiscal_year_label(fy - 1) in desc


# --- the PDF ----------------------------------------------------------------------------------

def _pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return reader, [" ".join(p.extract_text().split()) for p in reader.pages]


def _embedded_fonts(reader):
    names = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for desc in font.get("/DescendantFonts", [font]):
                fd = desc.get_object().get("/FontDescriptor")
                if fd and any(k in fd.get_object() for k in ("/FontFile", "/FontFile2",
                                                              "/FontFile3")):
                    names.add(str(font["/BaseFont"]))
    return names


def test_monthly_and_fiscal_pdf_a4_with_cover_figures_wareki_and_page_numbers(manager):
    resp = manager.get("/reports/monthly/2025-04.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    reader, pages = _pdf_text(resp.data)
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4 in mm
    cover = pages[0]
    assert "月次報告 令和7年4月分(2025年4月)" in cover
    assert "令和7年4月1日 〜 令和7年4月30日(2025年)" in cover
    today = datetime.now(UTC).astimezone(JST).date()
    assert wareki_date(today, western=True) in cover
    body = " ".join(pages[1:])
    # The figures as on the page: 新規受付 4 (前月 1, 前年同月 1), 完了 2 (1, 1).
    assert "新規受付 4 1 1" in body and "完了 2 1 1" in body
    assert "新規受付: 当月 4件" not in body  # the chart's desc is not printed text...
    assert "豊岡市" in body and "0日前" in body  # ...but its tiles' words are
    n = len(pages)
    assert all(f"{i} / {n}" in text for i, text in enumerate(pages, 1))
    assert any("IPAGothic" in name for name in _embedded_fonts(reader))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/Lang"] == "ja"  # a tagged PDF, in Japanese
    # The fiscal year's, beside the year before (one fixture: the hand-built month is slow).
    resp = manager.get("/reports/fiscal/2025.pdf")
    assert resp.status_code == 200
    reader, pages = _pdf_text(resp.data)
    assert "年度報告 令和7年度(2025年度)" in pages[0]
    assert "令和7年4月1日 〜 令和8年3月31日(2025年〜2026年)" in pages[0]
    body = " ".join(pages[1:])
    assert "新規受付 5 3" in body  # as on the fiscal-year page
    # The months in 和暦; April's response medians (1, 16), reach since April (4, 前年度 1),
    # satisfaction 3.67 from 3 answers (tests/test_report_fiscal.py works them out).
    assert "令和7年4月 4 1 2 1 2 0 4 1" in body
    assert "令和7年4月 1 16 4 1 3.67 3 —" in body
    assert "対応の速さの月別推移(中央値、営業日)" in body and "接点のあった市町数の累計" in body
    n = len(pages)
    assert all(f"{i} / {n}" in text for i, text in enumerate(pages, 1))
    assert any("IPAGothic" in name for name in _embedded_fonts(reader))


def test_pdf_refuses_to_fetch_anything(tmp_path):
    from PIL import Image

    from supportdesk.services.reports.pdf import html_to_pdf

    Image.new("RGB", (8, 8), "red").save(tmp_path / "x.png")
    html = f'<p>外部</p><img src="{(tmp_path / "x.png").as_uri()}" alt="x">'
    assert b"/Image" not in html_to_pdf(html)  # printed, without the file
    # The same document with fetching allowed does carry the image: the check above can fail.
    from weasyprint import HTML
    assert b"/Image" in HTML(string=html).write_pdf()
