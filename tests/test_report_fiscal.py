"""The fiscal-year report's and the municipality sheet's charts and their figures, and the
fiscal-year XLSX, against the hand-built April 2025 of tests/test_reports.py (FY2025's first
month; FY2024 holds R8 in April 2024, R4 in February 2025, R2 and a lecture in March 2025).
One test: the hand-built month is the slow part."""
import io
import re
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from supportdesk.extensions import db
from supportdesk.services.municipalities.status import record_status
from supportdesk.services.reports.fiscal_series import (build_fiscal_report,
                                                        municipality_year_series)
from tests.factories import make_user, municipality
from tests.test_reports import april  # noqa: F401  (the hand-built April 2025 fixture)

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def _svg(page, chart_id):
    return re.search(rf'<svg [^>]*aria-labelledby="{chart_id}-title[^>]*>.*?</svg>', page,
                     re.S).group(0)


def _desc(svg):
    return re.search(r"<desc[^>]*>(.*?)</desc>", svg).group(1)


def test_fiscal_year_and_municipality_charts_tables_and_xlsx(april, client, login_as):  # noqa: F811
    sayo = municipality("佐用町")
    for step, day in ((1, date(2025, 3, 1)), (2, date(2025, 9, 1))):   # 佐用町's DX step
        record_status(sayo, "dx_step", step, actor=None, source_kind="import", as_of=day, now=NOW)
    db.session.commit()

    report = build_fiscal_report(2025, now=NOW)
    april_2025, may_2025 = report["months"][0], report["months"][1]
    # April as the monthly report counts it: first responses 0, 1, 2, 8 (median 1), resolutions
    # 16 and 38 (median 16); May: R1, answered 7 May, the only resolution: 25/4 -> 7/5 is
    # 28/4, 30/4, 1/5, 2/5, 7/5 = 5 business days (29/4 and 3-6/5 are holidays).
    assert (april_2025["first_response"], april_2025["resolution"]) == (1, 16)
    assert (may_2025["first_response"], may_2025["resolution"]) == (None, 5)
    # Reach since 1 April: 4 in April, no one new after. FY2024: 佐用町 from April 2024 (R8),
    # 上郡町 added in March 2025 (R2).
    assert [m["reach_to_date"] for m in report["months"]] == [4] * 12
    assert [m["prev"]["reach_to_date"] for m in report["months"]] == [1] * 11 + [2]
    # Ratings 5, 4 and 2 in April (3.67); a 3 in March 2025.
    assert (april_2025["satisfaction"], april_2025["satisfaction_responses"]) == (3.67, 3)
    assert report["months"][11]["prev"]["satisfaction"] == 3.0
    [dx] = [e for e in report["dx_steps"] if e["item"].key == "dx_step"]
    assert (dx["total"], dx["start"], dx["end"]) == (41, [0, 1, 0, 0], [0, 0, 1, 0])

    sheet = municipality_year_series(sayo, 2025, now=NOW)
    # 佐用町: R1's first response (2 days) and R4's resolution (38) in April, R1 resolved in May.
    assert (sheet["response"][0]["first_response"], sheet["response"][0]["resolution"]) == (2, 38)
    assert sheet["response"][1]["resolution"] == 5
    # R2's joint lecture in April (rated 5 and 4); the request-less lecture of March 2025.
    assert sheet["lectures"][0] == 1 and sheet["prev_lectures"][11] == 1
    assert sheet["satisfaction"][0] == {"responses": 2, "average": 4.5}
    assert [(e["item"].key, e["start"], e["end"]) for e in sheet["steps"]][0] == ("dx_step", 2, 3)

    login_as(make_user("manager"))
    page = client.get("/reports/fiscal/2025").get_data(as_text=True)
    assert "4月: 初回対応 1日, 解決 16日" in _desc(_svg(page, "chart-fy-response"))
    reach = _svg(page, "chart-fy-reach-to-date")
    assert "接点のあった市町数の累計(全41市町)" in reach
    assert "3月: 令和7年度 (2025年度) 4市町, 令和6年度 (2024年度) 2市町" in _desc(reach)
    assert "4月: 令和7年度 (2025年度) 3.7" in _desc(_svg(page, "chart-fy-satisfaction"))
    steps = _svg(page, "chart-fy-dx-dx_step")
    assert "ステップ2 推進体制の整備: 年度初め 0市町, 年度末(今年度は現在) 1市町" in _desc(steps)
    # The tables beside them carry the same figures, months in 和暦.
    series = re.search(r'<table data-testid="fy-series">.*?</table>', page, re.S).group(0)
    assert re.search(r"令和7年4月</th>\s*<td[^>]*>1</td><td[^>]*>16</td><td[^>]*>4</td>"
                     r"<td[^>]*>1</td><td[^>]*>3.67</td><td[^>]*>3</td>", series)
    assert page.count('data-testid="fy-dx-steps"') == 3

    muni = client.get(f"/reports/municipality/{sayo.code}/2025").get_data(as_text=True)
    assert "4月: 初回対応 2日, 解決 38日" in _desc(_svg(muni, "chart-muni-response"))
    assert "4月: 令和7年度 (2025年度) 1回" in _desc(_svg(muni, "chart-muni-lectures"))
    assert "4月: 令和7年度 (2025年度) 4.5" in _desc(_svg(muni, "chart-muni-satisfaction"))
    dx_desc = _desc(_svg(muni, "chart-muni-dx"))
    assert dx_desc.startswith(f"{dx['item'].label_ja}: 年度初め 2, 年度末(今年度は現在) 3")
    assert "2: ステップ1 全体方針の決定" in muni

    resp = client.get("/reports/fiscal/2025.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws["A1"].value == "年度報告 令和7年度(2025年度)"
    assert re.fullmatch(r"作成日 令和\d+年\d+月\d+日\(20\d\d年\)", ws["C1"].value)
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r[0]}
    assert rows["新規受付"][1:3] == (5, 3)   # as on the page's comparison with FY2024
    assert rows["令和7年4月(2025年4月)"][1:] == (4, 1, 2, 1, 2, 0, 4, 1, 4, 1, 1, 16, 3.67,
                                                  None)
    assert ws.oddHeader.center.text == "年度報告 令和7年度(2025年度)"
    assert ws.page_setup.orientation == "landscape"
