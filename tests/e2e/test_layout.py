"""Browser (Chromium): pages read at the sizes people use: the queue at 1280 px keeps short
columns on one line; on a 375 px phone the header folds its menu instead of filling the screen."""
import pytest

from supportdesk.extensions import db
from tests.e2e.helpers import login
from tests.factories import make_liaison, make_request, make_staff

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}

# Lines a cell's text takes: the height of its text over the cell's line height.
LINES = """(td) => {
  const range = document.createRange();
  range.selectNodeContents(td);
  const h = range.getBoundingClientRect().height;
  return h / parseFloat(getComputedStyle(td).lineHeight);
}"""


def test_queue_columns_read_on_one_line_at_1280(live_app, live_server, browser_page):
    with live_app.app_context():
        liaison = make_liaison("西播磨", "中播磨")
        for name in ("市川町", "上郡町", "佐用町"):
            make_request(title="税務課向けカイゼンDX講座(kintone・Excel活用)の開催について相談したい",
                         municipality_name=name, kind="lecture")
        email = liaison.email
        db.session.commit()
    page = browser_page
    page.set_viewport_size(DESKTOP)
    login(page, live_server, email)
    page.goto(f"{live_server}/queue/")
    headers = [t.strip() for t in page.locator("table.queue thead th").all_inner_texts()]
    rows = page.locator("table.queue tbody tr[data-request-id]")
    assert rows.count() == 3
    for column in ("市町", "種別", "状態", "担当者"):
        cells = rows.locator(f"td:nth-child({headers.index(column) + 1})")
        for i in range(cells.count()):
            lines = cells.nth(i).evaluate(LINES)
            assert lines < 1.5, f"{column} {cells.nth(i).inner_text()!r}: {lines:.1f} lines"
    for i, th in enumerate(page.locator("table.queue thead th").all()):
        if headers[i]:
            assert th.evaluate(LINES) < 1.5, f"header {headers[i]!r} wraps"
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    # ...and the whole table fits: no sideways scrolling to reach the dates.
    wrap = page.locator("table.queue").locator("xpath=..")
    assert wrap.evaluate("(el) => el.scrollWidth <= el.clientWidth")


def test_header_folds_its_menu_on_a_phone(live_app, live_server, browser_page):
    with live_app.app_context():
        email = make_staff("佐用町", info_dept=True).email
        db.session.commit()
    page = browser_page
    page.set_viewport_size(PHONE)
    login(page, live_server, email)
    header = page.locator("header.topbar")
    assert header.bounding_box()["height"] <= 80
    menu = page.get_by_role("link", name="新規相談", exact=True)
    assert not menu.is_visible()
    page.locator("header.topbar summary").click()
    assert menu.is_visible()
    assert page.get_by_role("button", name="ログアウト").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # On a desktop the menu is there without a click.
    page.set_viewport_size(DESKTOP)
    page.reload()
    assert page.get_by_role("link", name="新規相談", exact=True).is_visible()
    assert not page.locator("header.topbar summary").is_visible()
    assert header.bounding_box()["height"] <= 80


def test_monthly_report_headings_read_on_one_line_at_1280(live_app, live_server, browser_page):
    """Three report tables share a row at 1280 px; their 当月・前月・前年同月 must not wrap one
    character a line (「当/月」)."""
    from tests.factories import make_user

    with live_app.app_context():
        email = make_user("manager").email
        db.session.commit()
    page = browser_page
    page.set_viewport_size(DESKTOP)
    login(page, live_server, email)
    page.goto(f"{live_server}/reports/")
    headings = page.locator("table.figures thead th")
    assert headings.count() >= 8
    for i in range(headings.count()):
        th = headings.nth(i)
        assert th.evaluate(LINES) < 1.5, f"report heading {th.inner_text()!r} wraps"
