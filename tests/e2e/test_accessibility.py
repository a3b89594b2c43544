"""Browser (Chromium) + axe-core: every main page of every role has no serious or critical
accessibility violation, and a journey works with the keyboard alone, with a visible focus."""
import re

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from tests.e2e.a11y_report import write_report
from tests.e2e.axe import axe_results, blocking, describe, run_axe
from tests.e2e.helpers import login, seed_demo
from tests.factories import make_liaison, make_staff, make_user

pytestmark = pytest.mark.e2e

STAFF = "sayo.joho@demo.example.jp"
LIAISON = "liaison.nishiharima@demo.example.jp"
EXPERT = "expert@demo.example.jp"
MANAGER = "manager@demo.example.jp"
ADMIN = "admin@demo.example.jp"


def _seed_demo(live_app):
    from supportdesk.demo.users import DEMO_PASSWORD
    from supportdesk.models import Municipality, SupportRequest, Visit

    seed_demo(live_app)
    with live_app.app_context():
        sayo = db.session.scalar(sa.select(Municipality).where(Municipality.name == "佐用町"))
        sreq_id = db.session.scalar(
            sa.select(SupportRequest.id).where(SupportRequest.municipality_id == sayo.id,
                                               SupportRequest.state != "draft")
            .order_by(SupportRequest.id))
        visit_id = db.session.scalar(sa.select(Visit.id).order_by(Visit.id))
    return DEMO_PASSWORD, sayo.code, sreq_id, visit_id


def _log_in_new(live_app, live_server, page, factory, *args, **kwargs):
    """Make a user with a factory and log the page in as them."""
    with live_app.app_context():
        email = factory(*args, **kwargs).email
        db.session.commit()
    login(page, live_server, email)


def make_manager():
    return make_user("manager")


def current_fy():
    from supportdesk.timeutil import fiscal_year, utcnow
    return fiscal_year(utcnow())


def _pages(code, sreq_id, visit_id):
    return {
        STAFF: ["/", f"/municipalities/{code}", "/requests/new", "/requests/new/consultation",
                "/requests/new/lecture", "/requests/mine", f"/requests/{sreq_id}",
                "/announcements", "/notifications", "/notifications/preferences",
                "/calendar/", "/cases/", "/surveys"],
        LIAISON: ["/queue/", f"/requests/{sreq_id}", "/visits/", "/visits/new",
                  f"/visits/{visit_id}", "/calendar/", "/rounds/", "/cases/",
                  f"/municipalities/{code}", "/municipalities/", "/visits/engagements/",
                  "/requests/templates/", "/notifications", "/surveys", "/status/"],
        EXPERT: ["/experts/assignments", "/visits/", "/calendar/"],
        MANAGER: ["/reports/dashboard", "/reports/monthly/2026-10", "/reports/fiscal/2026",
                  f"/reports/municipality/{code}/2026", "/municipalities/", "/status/figures",
                  "/handover"],
        ADMIN: ["/admin/users", "/admin/users/new", "/admin/themes", "/admin/experts",
                "/admin/audit", "/admin/permissions", "/admin/jobs/", "/admin/webhooks/",
                "/admin/sso", "/admin/sso/new",
                "/admin/chat-rooms", "/admin/notifications/failed", "/account/tokens/",
                "/account/password", "/account/2fa"],
    }


ROLES = {STAFF: "市町職員", LIAISON: "リエゾン", EXPERT: "派遣人材", MANAGER: "管理職",
         ADMIN: "管理者"}


def test_main_pages_have_no_serious_or_critical_violations(live_app, live_server, axe_page):
    """...and the conformance report (tests/e2e/a11y_report.py) is written from the same run."""
    password, code, sreq_id, visit_id = _seed_demo(live_app)
    page = axe_page
    found, results = {}, []

    def check(role, path):
        result = axe_results(page)
        results.append((role, path, result))
        if violations := blocking(result):
            found[f"{role} {path}"] = violations

    page.goto(f"{live_server}/login")
    check("未ログイン", "/login")
    for email, paths in _pages(code, sreq_id, visit_id).items():
        page.context.clear_cookies()
        login(page, live_server, email, password)
        for path in paths:
            resp = page.goto(f"{live_server}{path}")
            assert resp.status == 200, f"{email} {path}: {resp.status}"
            check(ROLES[email], path)
    write_report(results, page.context.browser.version)
    assert len(results) >= 40
    assert not found, describe(found)


NAMES_AND_PLACES = """() => [...document.querySelectorAll("header a[href]")].map(a => ({
    text: a.innerText.trim(), href: new URL(a.href).pathname, label: a.getAttribute("aria-label")}))"""


def test_each_place_in_the_header_has_one_name(live_app, live_server, browser_page):
    """The bell leads to 通知 and says so; お知らせ is the announcements, and only they."""
    page = browser_page
    _log_in_new(live_app, live_server, page, make_staff, "佐用町", info_dept=True)
    bell = page.get_by_test_id("bell")
    assert bell.get_attribute("aria-label") is None  # the name is the text people see
    assert page.get_by_role("link", name=re.compile(r"^通知\s*0\s*件未読$")).count() == 1
    # An inline icon: no emoji (□ without an emoji font).
    assert bell.locator("svg").count() == 1
    assert not any(ord(c) > 0x2000 and not ("\u3000" <= c <= "\u9fff") for c in bell.inner_text())
    places = {}
    for link in page.evaluate(NAMES_AND_PLACES):
        words = (link["label"] or link["text"]).split()
        places.setdefault(words[0].split("(")[0] if words else "", set()).add(link["href"])
    shared = {n: p for n, p in places.items() if len(p) > 1}
    assert not shared, f"one name for several places: {shared}"
    assert places["お知らせ"] == {"/announcements"} and places["通知"] == {"/notifications"}
    page.get_by_test_id("bell").click()
    assert page.locator("h1").inner_text().startswith("通知")


FOCUSED = """() => {
  const el = document.activeElement;
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), name: el.name || "", type: el.type || "",
          text: (el.innerText || el.value || "").trim().slice(0, 40), id: el.id,
          outline: cs.outlineStyle !== "none" ? parseFloat(cs.outlineWidth) : 0,
          visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0,
          focus: el.matches(":focus"), style: cs.outlineStyle + " " + cs.outlineWidth};
}"""


def _tab_to(page, matches, limit=80):
    """Press Tab until the focused element matches; every stop shows a visible focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["visible"] and focused["outline"] >= 2, f"no visible focus on {focused}"
        if matches(focused):
            return focused
    raise AssertionError("not reached with Tab")


def test_staff_file_a_consultation_with_the_keyboard_alone(live_app, live_server, browser_page):
    page = browser_page
    _log_in_new(live_app, live_server, page, make_staff, "佐用町", info_dept=True)
    # The first Tab shows the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["text"] == "本文へ移動"
    _tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "新規相談")
    page.keyboard.press("Enter")
    page.wait_for_url("**/requests/new")
    _tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "相談")
    page.keyboard.press("Enter")
    page.wait_for_url("**/requests/new/consultation")
    _tab_to(page, lambda f: f["name"] == "title")
    page.keyboard.type("キーボードだけで出した相談")
    _tab_to(page, lambda f: f["name"] == "body")
    page.keyboard.type("窓口の手続をオンライン化したい")
    _tab_to(page, lambda f: f["name"] == "help_wanted")
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    _tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "提出する")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/requests/new" not in url)
    assert "キーボードだけで出した相談" in page.locator("h1").inner_text()


def test_phone_menu_open_has_no_serious_violation(live_app, live_server, axe_page):
    page = axe_page
    page.set_viewport_size({"width": 375, "height": 667})
    _log_in_new(live_app, live_server, page, make_liaison, "西播磨")
    page.goto(f"{live_server}/queue/")
    page.locator("header.topbar summary").focus()
    page.keyboard.press("Enter")  # a <summary> opens with the keyboard too
    assert page.get_by_role("link", name="受付キュー").is_visible()
    assert not (violations := run_axe(page)), describe({"375px /queue/ menu open": violations})


# 200% zoom: a 1280 × 800 window zoomed to 200% lays the page out in 640 × 400 CSS pixels.
ZOOM_200 = {"width": 640, "height": 400}
OVERFLOW = """() => ({page: document.documentElement.scrollWidth, view: window.innerWidth,
    wide: [...document.querySelectorAll("main *")].filter(el => {
        const r = el.getBoundingClientRect();
        return r.right > window.innerWidth + 1 && !el.closest(".table-wrap, pre");
    }).slice(0, 5).map(el => el.tagName.toLowerCase() + "." + el.className)})"""


def test_pages_reflow_at_200_percent_zoom(live_app, live_server, browser_page):
    """WCAG 1.4.4 / 1.4.10: at 200% nothing but a data table (which scrolls in its own frame)
    needs the page to scroll sideways, and the charts shrink with their column."""
    page = browser_page
    page.set_viewport_size(ZOOM_200)
    fy = current_fy()
    pages = {make_staff: ["/", "/requests/new/consultation", "/requests/mine"],
             make_manager: ["/reports/dashboard", f"/reports/monthly/{fy}-10",
                            f"/reports/fiscal/{fy}", "/municipalities/"]}
    found = {}
    for factory, paths in pages.items():
        page.context.clear_cookies()
        _log_in_new(live_app, live_server, page, factory, *(("佐用町",) if factory is make_staff
                                                              else ()))
        for path in paths:
            page.goto(f"{live_server}{path}")
            seen = page.evaluate(OVERFLOW)
            if seen["page"] > seen["view"] or seen["wide"]:
                found[path] = seen
    assert not found, found
    charts = page.goto(f"{live_server}/reports/fiscal/{fy}") and page.locator("svg.chart-svg")
    assert charts.count() >= 4
    assert all(box["width"] <= ZOOM_200["width"] for box in
               (charts.nth(i).bounding_box() for i in range(charts.count())))


def test_manager_prints_the_monthly_report_with_the_keyboard_alone(live_app, live_server,
                                                                     browser_page):
    page = browser_page
    _log_in_new(live_app, live_server, page, make_manager)
    page.goto(f"{live_server}/reports/monthly/{current_fy()}-10")
    _tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "印刷用PDF(A4)")
    with page.expect_download(timeout=90_000) as download:  # a PDF takes seconds on a busy box
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == f"monthly-report-{current_fy()}-10.pdf"
    with open(download.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
