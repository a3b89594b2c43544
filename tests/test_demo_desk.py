"""The demo desk as `run.py demo` builds it (`flask seed --demo`): every account in README's demo
table logs in and opens every page two clicks from home without a server error, and the queue
search finds each demo request by its number."""
import html
import os
import re
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa

from supportdesk.demo.users import DEMO_PASSWORD, DEMO_USERS
from supportdesk.extensions import db
from supportdesk.models import SupportRequest

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")
# What a crawl does not open: logging out, files, downloads and feeds (as demo_smoke.py).
SKIP = re.compile(r"logout|/static/|\.(csv|xlsx|ics|pdf|zip)(\?|$)|/download|/export|/feed", re.IGNORECASE)
# Pages of one shape (the path with its numbers blanked, and the names of its query arguments)
# opened per account: every kind of page gets opened, without opening all 41 municipalities or
# every month of a report for each account.
# Each request and visit page is opened, though: they differ by state, kind and history.
PER_SHAPE = 3
EVERY_ONE = {("/requests/N", ()), ("/visits/N", ())}
MAX_PAGES = 400  # per account; a guard against links that generate links


def readme_text():
    with open(README, encoding="utf-8") as fh:
        return fh.read()


def readme_accounts():
    return re.findall(r"^\|\s*([a-z_ ]+?)\s*\|\s*([\w.+-]+@[\w.-]+)\s*\|", readme_text(), re.MULTILINE)


def test_readme_demo_table_lists_every_demo_account():
    assert sorted(email for _role, email in readme_accounts()) == sorted(u[0] for u in DEMO_USERS)
    assert f"**`{DEMO_PASSWORD}`**" in readme_text()


@pytest.fixture
def demo_desk(app, runner):
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return app


def _login(client, email):
    client.post("/logout")
    resp = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert resp.status_code == 302, email


def _links(url, page):
    for href in re.findall(r'href="([^"#]+)"', page):
        parts = urlsplit(urljoin("http://localhost" + url, html.unescape(href)))
        if parts.netloc in ("", "localhost") and not SKIP.search(parts.path + "?" + parts.query):
            yield parts.path + ("?" + parts.query if parts.query else "")


def shape(url):
    parts = urlsplit(url)
    names = sorted({kv.split("=")[0] for kv in parts.query.split("&") if kv})
    return re.sub(r"\d+", "N", parts.path), tuple(names)


def crawl(client, start="/", depth=2):
    """GET home and every same-origin link up to `depth` clicks away; {url: status}."""
    seen, shapes, frontier = {}, {}, [start]
    for level in range(depth + 1):
        following = []
        for url in frontier:
            if url in seen or len(seen) >= MAX_PAGES:
                continue
            if shape(url) not in EVERY_ONE and shapes.get(shape(url), 0) >= PER_SHAPE:
                continue
            shapes[shape(url)] = shapes.get(shape(url), 0) + 1
            resp = client.get(url, follow_redirects=True)
            seen[url] = resp.status_code
            if level < depth and "text/html" in resp.headers.get("Content-Type", ""):
                following += _links(url, resp.get_data(as_text=True))
        frontier = following
    return seen


def test_every_demo_account_opens_every_page_two_clicks_from_home(demo_desk, client):
    # One seeded desk for all the accounts: seeding once per account would triple the time.
    broken = {}
    for _role, email in readme_accounts():
        _login(client, email)
        answers = crawl(client)
        assert len(answers) > 3, (email, answers)
        broken.update({f"{email} GET {url}": status for url, status in answers.items()
                       if status >= 500})
    assert not broken, broken


def test_queue_search_finds_each_demo_request_by_number(demo_desk, client):
    demo = db.session.execute(sa.select(SupportRequest.number, SupportRequest.title)
                              .where(SupportRequest.number.is_not(None))).all()
    assert len(demo) >= 25
    _login(client, "liaison.central@demo.example.jp")
    for number, title in demo:
        page = client.get("/queue/", query_string={"q": number, "state": "all", "region": "all"})
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert number in text and html.escape(title, quote=False) in text, number


def test_the_whole_demo_has_its_open_and_closed_inquiries(demo_desk):
    """Every seeder in order: a lecture survey made earlier (the visits) must not stop the
    inquiries (照会) from being seeded."""
    from supportdesk.models import Survey

    inquiries = db.session.execute(sa.select(Survey.title, Survey.status)
                                   .where(Survey.kind == "inquiry")).all()
    assert {status for _title, status in inquiries} >= {"open", "closed"}, inquiries
