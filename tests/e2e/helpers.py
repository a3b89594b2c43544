"""Shared steps of the browser journeys."""
from tests.factories import PASSWORD


def login(page, base, email, password=PASSWORD, *, inp=None):
    """Log in through the form and wait until the browser has left the login page. With the
    keyboard, a page that is already the login form (after a logout) is used as it is."""
    inp = inp or Input(page)
    if not (inp.keyboard and page.url == f"{base}/login"):
        page.goto(f"{base}/login")
    inp.fill("#email", email)
    inp.fill("#password", password)
    inp.click("button.primary")
    page.wait_for_url(lambda url: "/login" not in url)


def logout(page, *, inp=None):
    (inp or Input(page)).click("[data-testid=logout]")
    page.wait_for_url("**/login")


def write_visit_record(page, visit_url, *, inp=None, via=(), **fields):
    """Open the visit, write its 実施記録 (fields by input id, e.g. covered="...") and save.
    With the keyboard the visit is opened by following `via` (see Input.visit)."""
    inp = inp or Input(page)
    inp.visit(visit_url, *via)
    inp.follow("text=実施記録を書く")
    for field_id, value in fields.items():
        inp.fill(f"#{field_id}", str(value))
    inp.click("button.primary")
    page.wait_for_selector("text=実施記録を保存しました")


def rate_visit(page, visit_url, rating, comment="", *, inp=None, via=()):
    """As the municipality: answer the visit's 満足度アンケート."""
    inp = inp or Input(page)
    inp.visit(visit_url, *via)
    inp.follow("text=満足度アンケートに回答する")
    inp.check(f"input[name=rating][value='{rating}']")
    inp.fill("#comment", comment)
    inp.click("button.primary")
    page.wait_for_selector("text=ご回答ありがとうございました")


# What the keyboard is on: the focused element, whether the target is it, and its focus ring.
_FOCUS_STATE = """(target) => {
  const el = document.activeElement;
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  const ring = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0)
               || cs.boxShadow !== "none";
  return {hit: el === target, ring, tag: el.tagName.toLowerCase(), id: el.id,
          name: el.name || "", type: el.type || "",
          text: (el.innerText || el.value || "").trim().slice(0, 40),
          visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0,
          inGroup: el.type === "radio" && target.type === "radio" && el.name === target.name
                   && el.form === target.form,
          after: el !== target && !!(el.compareDocumentPosition(target)
                                     & Node.DOCUMENT_POSITION_PRECEDING),
          style: cs.outlineStyle + " " + cs.outlineWidth + " / " + cs.boxShadow};
}"""


class Input:
    """One person's hands on the page: `mouse` (Playwright's clicks and fills, as the journeys
    always did) or `keyboard` (Tab and Shift+Tab from where the focus is, or the page's start,
    until the element has the focus, then only keys). Targets are selectors or locators.

    In keyboard mode every element the focus stops on must show a focus ring, and a page is
    opened only by following links or buttons (`visit(url, *links)`), never by typing its URL.
    """

    MODES = ("mouse", "keyboard")
    MAX_TABS = 250
    date_order = None  # the order of a date field's parts, as the browser shows them

    def __init__(self, page, mode="mouse"):
        assert mode in self.MODES, mode
        self.page, self.mode = page, mode

    @property
    def keyboard(self):
        return self.mode == "keyboard"

    def locate(self, target):
        return self.page.locator(target) if isinstance(target, str) else target

    # -- reaching an element ------------------------------------------------------------------
    def focus(self, target):
        """Keyboard: press Tab (or Shift+Tab, when the element lies before the focus) until the
        element has the focus; a radio button is reached through its group with the arrows."""
        loc = self.locate(target)
        handle = loc.element_handle()
        state = handle.evaluate(_FOCUS_STATE)
        if state["hit"]:
            return handle
        key = "Shift+Tab" if state["after"] and state["tag"] != "body" else "Tab"
        stops = []
        for _ in range(self.MAX_TABS):
            if state["inGroup"]:
                key = "ArrowUp" if state["after"] else "ArrowDown"
            self.page.keyboard.press(key)
            state = handle.evaluate(_FOCUS_STATE)
            stops.append(f"{state['tag']}#{state['id']}[{state['name']}] {state['text']!r}")
            if state["tag"] != "body":  # body: the focus has left the page's last stop
                assert state["visible"] and state["ring"], (
                    f"no visible focus on {stops[-1]} ({state['style']}) on {self.page.url}")
            if state["hit"]:
                return handle
        raise AssertionError(f"{target} is not reached with {key} in {self.MAX_TABS} presses on "
                             f"{self.page.url}; the last stops: {stops[-8:]}")

    # -- operating it -------------------------------------------------------------------------
    def click(self, target):
        """A link or button: Enter."""
        if not self.keyboard:
            return self.locate(target).click()
        self.focus(target)
        self.page.keyboard.press("Enter")

    def fill(self, target, text):
        if not self.keyboard:
            return self.locate(target).fill(text)
        handle = self.focus(target)
        kind = handle.evaluate("el => el.type")
        if kind == "date":
            return self._type_date(handle, str(text))
        if kind == "time":
            self.page.keyboard.type(str(text).replace(":", ""))
        else:
            self.page.keyboard.press("ControlOrMeta+a")
            self.page.keyboard.press("Delete")
            self.page.keyboard.type(str(text))
        assert handle.evaluate("el => el.value") == str(text), f"{target}: typed {text!r}"

    def _type_date(self, handle, iso):
        """Type a date part by part in the order the field shows them (the browser's own
        language, not the page's); the order is learnt once, by reading what was typed."""
        year, month, day = iso.split("-")
        parts = {"y": year, "m": month, "d": day}
        orders = [Input.date_order] if Input.date_order else ["ymd", "mdy", "dmy"]
        for order in orders:
            for i, part in enumerate(order):
                self.page.keyboard.type(parts[part])
                if part == "y" and i < 2:
                    self.page.keyboard.press("ArrowRight")  # a year takes up to 6 digits
            if handle.evaluate("el => el.value") == iso:
                Input.date_order = order
                return
            # Back to the field's first part: out of it with Shift+Tab, in again with Tab.
            for _ in range(5):
                self.page.keyboard.press("Shift+Tab")
                if not handle.evaluate("el => el === document.activeElement"):
                    break
            self.page.keyboard.press("Tab")
        raise AssertionError(f"could not type the date {iso} into {handle}")

    def check(self, target):
        """A checkbox or radio button: Space."""
        if not self.keyboard:
            return self.locate(target).check()
        handle = self.focus(target)
        if not handle.evaluate("el => el.checked"):
            self.page.keyboard.press("Space")
        assert handle.evaluate("el => el.checked"), f"{target} is not checked"

    def select(self, target, value=None, *, label=None):
        """A <select>: the arrow keys until the option is chosen (the only one, in a list)."""
        loc = self.locate(target)
        if not self.keyboard:
            return loc.select_option(value) if label is None else loc.select_option(label=label)
        handle = self.focus(loc)
        wanted = handle.evaluate(
            "(el, [v, l]) => [...el.options].findIndex(o => l === null ? o.value === v"
            " : o.label.trim() === l)", [value, label])
        assert wanted >= 0, f"{target} has no option {value or label!r}"
        for _ in range(handle.evaluate("el => el.options.length") + 1):
            chosen = handle.evaluate("el => [...el.options].filter(o => o.selected).map(o => o.index)")
            if chosen == [wanted]:
                return
            self.page.keyboard.press("ArrowDown" if not chosen or chosen[0] < wanted
                                     else "ArrowUp")
        raise AssertionError(f"{target}: the arrows did not choose {value or label!r}")

    # -- going to a page ----------------------------------------------------------------------
    def follow(self, target, url=None):
        """Follow a link or press a button that opens a page (and wait for it, at `url`)."""
        if self.keyboard:
            with self.page.expect_navigation():
                self.click(target)
        else:
            self.click(target)
        if url is not None:
            self.page.wait_for_url(url)

    def visit(self, url, *links):
        """Open `url`: with the mouse by its address as the journeys always did; with the
        keyboard by following `links` (targets, each on the page the one before opened),
        ending on that page."""
        if not self.keyboard:
            self.page.goto(url)
            return
        for link in links:
            self.follow(link)
        self.page.wait_for_url(url)


def menu_link(page, label):
    """A link of the header's main menu, by its exact name."""
    return page.locator("header nav").get_by_role("link", name=label, exact=True)


def seed_demo(live_app):
    """The demo data, seeded by the same ordered seeders as `flask seed --demo`."""
    from supportdesk.demo import DEMO_SEEDERS
    from supportdesk.extensions import db

    with live_app.app_context():
        for seeder in DEMO_SEEDERS:
            seeder()
            db.session.commit()
