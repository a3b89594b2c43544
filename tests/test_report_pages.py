"""The report pages as a reader sees them: the fiscal year beside the previous one, each
monthly table once, and drill-downs that say in words which figure (and filter) they list."""
import re

import pytest

from tests.factories import make_user, region, theme
from tests.test_reports import april  # noqa: F401  (the hand-built April 2025 fixture)


@pytest.fixture
def manager(client, login_as, april):  # noqa: F811
    login_as(make_user("manager"))
    return client


def test_fiscal_year_page_compares_with_the_previous_fiscal_year(manager):
    page = manager.get("/reports/fiscal/2025").get_data(as_text=True)
    table = page[page.index('data-testid="fy-compare"'):]
    table = table[:table.index("</table>")]
    rows = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in re.finditer(
        r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td><td class="num">(\d+)</td>', table)}
    # FY2025 (April 2025..): R1, R3, R5, R6, R7 new; FY2024: R8, R4, R2.
    assert rows["新規受付"] == (5, 3)
    # Closed in FY2025: R4 and R2 (April); in FY2024: R8 (April 2024) and R4 (March 2025).
    assert rows["完了"] == (2, 2)
    assert "前年度" in table and "令和6年度" in table
    # Month by month, the same month a fiscal year earlier: April 2024 had R8 new and closed.
    april_row = page[page.index('href="/reports/monthly/2025-04"'):]
    april_row = april_row[:april_row.index("</tr>")]
    assert re.findall(r'<td class="num">(\d+)</td>', april_row)[:4] == ["4", "1", "2", "1"]


def test_monthly_page_shows_the_region_and_theme_tables_once(manager):
    page = manager.get("/reports/monthly/2025-04").get_data(as_text=True)
    assert page.count("圏域別の新規受付") + page.count("圏域別(新規)") == 1
    assert page.count("分野別の新規受付") + page.count("分野別(新規)") == 1
    # A theme counted in April is named once on the page, and its figure still drills down.
    security = theme("security")
    assert page.count(security.name_ja) == 1
    assert f"figure=new&amp;theme_id={security.id}" in page


def test_drill_down_heading_names_the_figure_and_filter_in_words(manager):
    west = region("西播磨")
    page = manager.get(f"/reports/monthly/2025-04/requests?figure=new&region_id={west.id}")
    heading = re.search(r"<h1>(.*?)</h1>", page.get_data(as_text=True), re.S).group(1)
    assert "新規受付" in heading and "西播磨" in heading
    page = manager.get("/reports/monthly/2025-04/requests?figure=new&kind=lecture&origin=push")
    heading = re.search(r"<h1>(.*?)</h1>", page.get_data(as_text=True), re.S).group(1)
    assert "地域DX出前講座" in heading and "プッシュ型" in heading
    sec = theme("security")
    page = manager.get(f"/reports/monthly/2025-04/requests?figure=new&theme_id={sec.id}")
    heading = re.search(r"<h1>(.*?)</h1>", page.get_data(as_text=True), re.S).group(1)
    assert sec.name_ja in heading


@pytest.mark.parametrize("query", [
    "figure=bogus", "figure=", "figure=new&kind=bogus", "figure=new&origin=elsewhere",
    "figure=new&region_id=abc", "figure=new&region_id=99999", "figure=new&theme_id=99999",
    "figure=new&municipality_id=99999"])
def test_drill_down_with_an_unknown_figure_or_filter_is_not_found(manager, query):
    assert manager.get(f"/reports/monthly/2025-04/requests?{query}").status_code == 404


def test_a_data_label_is_escaped_in_the_figure_tables(manager):
    """A theme's name is data (an admin types it): the report prints it as text. It went
    through the template's _() as a message, which marks its result safe, so markup in a name
    reached the page as markup."""
    from supportdesk.extensions import db
    from supportdesk.services.reference import bump_reference_version

    security = theme("security")
    security.name_ja = "<b>情報</b>&セキュリティ"
    bump_reference_version()
    db.session.commit()
    page = manager.get("/reports/monthly/2025-04?live=1").get_data(as_text=True)
    assert "&lt;b&gt;情報&lt;/b&gt;&amp;セキュリティ" in page
    assert "<b>情報</b>" not in page
