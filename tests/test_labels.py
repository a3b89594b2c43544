"""Words, not codes: no event kind, action, state or figure key reaches a page as its code.

Every kind of request event, every state and every report figure is rendered through the pages
that show them (the municipality page, the request page, the report drill-down), in Japanese
and in English, and the visible text is searched for the codes as whole words.
"""
import ast
import pathlib
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

import supportdesk
from supportdesk.extensions import db
from supportdesk.models.request_event import EVENT_ACTIONS, EVENT_KINDS
from supportdesk.services.packs import load_pack
from supportdesk.services.reports.figures import REQUEST_FIGURES
from supportdesk.services.requests.transitions import apply_action, record_event
from supportdesk.workflow import State
from tests.factories import advance_request, make_liaison, make_request, make_staff, make_user

AT = datetime(2025, 5, 20, 1, 0, tzinfo=UTC)


class _Visible(HTMLParser):
    """The text a reader sees: no script, style or attribute values."""

    def __init__(self):
        super().__init__()
        self.skip, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html):
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


# The support kinds are the programme catalogue's, seeded from the pack.
SUPPORT_ACTION_KINDS = [e.key for e in load_pack("hyogo").catalogue if e.list == "support_kind"]
ALL_CODES = (set(EVENT_KINDS) | set(EVENT_ACTIONS) | set(SUPPORT_ACTION_KINDS)
             | {s.value for s in State} | set(REQUEST_FIGURES))
# English words ("note", "visit", "closed") are fine on an English page; codes with an
# underscore are never English.
EN_CODES = {c for c in ALL_CODES if "_" in c}


def bare_codes(html, codes):
    text = visible_text(html)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, codes), key=len,
                                                             reverse=True)) + r")(?![\w-])")
    return sorted({m.group(1) for m in pattern.finditer(text)})


def test_every_recorded_event_kind_has_a_label():
    """The kinds written by record_event(...) anywhere in the code are in EVENT_KINDS."""
    root = pathlib.Path(supportdesk.__file__).parent
    kinds = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record_event"
                    and len(node.args) >= 3):
                arg = node.args[2]
                if isinstance(arg, ast.Constant):
                    kinds.add(arg.value)
                elif isinstance(arg, ast.IfExp):
                    kinds |= {arg.body.value, arg.orelse.value}
    assert len(kinds) >= 15
    assert kinds <= set(EVENT_KINDS), kinds - set(EVENT_KINDS)


def _every_event(sreq, liaison, staff):
    """One event of each kind and action, as the services write them."""
    at = AT + timedelta(days=2)

    def ev(kind, actor=liaison, **kw):
        nonlocal at
        at += timedelta(minutes=5)
        return record_event(sreq, actor, kind, now=at, **kw)

    ev("routed", data={"number": sreq.number, "region": "西播磨", "central_team": False})
    ev("info_shared", data={"users": ["佐用 情報"]})
    ev("fields", staff, data={"changes": {"title": {"old": "旧", "new": "新"}}})
    ev("assign", data={"before": None, "after": liaison.id})
    ev("escalated", None, internal=True)
    ev("comment", data={"excerpt": "ご連絡します"})
    ev("note", internal=True)
    ev("attachment", data={"added": [{"filename": "資料.pdf"}]})
    ev("follow", data={"user": "西播磨", "follow": True})
    ev("follow", data={"user": "西播磨", "follow": False})
    for kind in SUPPORT_ACTION_KINDS:
        ev("support", data={"kind": kind})
        ev("action", action=kind)
    for action in EVENT_ACTIONS:
        kind = ("expert" if action in ("assign", "accept", "decline", "remove") else
                "visit" if action.startswith("visit_") else
                "engagement" if action.startswith("engagement_") else "link")
        ev(kind, action=action)
    db.session.commit()


@pytest.fixture
def world(app):
    liaison = make_liaison("西播磨")
    staff = make_staff("佐用町")
    filed = make_request(staff)  # created, routed, info_shared through the service
    _every_event(filed, liaison, staff)
    for state in ("triage", "expert_selection", "scheduled", "delivered", "answered", "closed",
                  "on_hold", "declined"):
        sreq = make_request(municipality_name="佐用町", filer=staff, now=AT)
        advance_request(sreq, state, liaison, now=AT + timedelta(days=1))
    sreq = make_request(municipality_name="佐用町", filer=staff, now=AT)
    apply_action(sreq, "withdraw", staff, now=AT + timedelta(days=1), reason="取下げ")
    sreq = make_request(municipality_name="佐用町", filer=staff, now=AT)
    advance_request(sreq, "closed", liaison, now=AT + timedelta(days=1))
    apply_action(sreq, "reopen", staff, now=AT + timedelta(days=3), reason="再開")
    db.session.commit()
    return {"filed": filed, "liaison": liaison, "staff": staff}


def _pages(client, first):
    """The page and the following ones (?page=N) while it links to a next page."""
    url, seen = first, []
    while url and len(seen) < 20:
        html = client.get(url).get_data(as_text=True)
        seen.append(html)
        m = re.search(r'<a [^>]*rel="next"[^>]*href="([^"]+)"', html) or \
            re.search(r'<a [^>]*href="([^"]+)"[^>]*rel="next"', html)
        url = m.group(1).replace("&amp;", "&") if m else None
    return seen


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_pages_show_words_not_codes(world, client, login_as, locale):
    codes = ALL_CODES if locale == "ja" else EN_CODES
    filed = world["filed"]
    staff = make_staff("佐用町", info_dept=True, locale=locale)
    liaison = make_liaison("西播磨", locale=locale)
    manager = make_user("manager", locale=locale)
    found = {}
    for user, urls in ((staff, ["/municipalities/28501", f"/requests/{filed.id}"]),
                       (liaison, ["/municipalities/28501", f"/requests/{filed.id}"]),
                       (manager, [f"/reports/monthly/2025-05/requests?figure={f}"
                                  for f in REQUEST_FIGURES])):
        login_as(user)
        for url in urls:
            pages = _pages(client, url)
            for i, html in enumerate(pages):
                assert f'<html lang="{locale}">' in html, url
                bad = bare_codes(html, codes)
                if bad:
                    found[f"{user.role} {url} page {i + 1}"] = bad
    assert not found, found


def test_report_drill_down_names_its_figure(world, client, login_as):
    login_as(make_user("manager"))
    html = client.get("/reports/monthly/2025-05/requests?figure=new").get_data(as_text=True)
    assert re.search(r"<h1>集計の内訳 2025-05 <small>新規受付</small></h1>", html), html[:2000]
    login_as(make_user("manager", locale="en"))
    html = client.get("/reports/monthly/2025-05/requests?figure=past_target").get_data(as_text=True)
    assert "past_target" not in visible_text(html)
