"""The demo desk as `run.py demo` builds it (`flask seed --demo`): every account in README's demo
table logs in and opens every page two clicks from home without a server error, and the queue
search finds each demo request by its number. On Hyogo's desk (the default pack) and on
Nagano's, where the demo is cast from Hyogo's names (supportdesk/demo/cast.py): there its
requests go to its 広域連合 and its central team, reach counts out of 77, and no Hyogo name is
left in anything the demo wrote."""
import html
import os
import re
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa

from supportdesk.demo.cast import cast_for
from supportdesk.demo.users import DEMO_PASSWORD, DEMO_USERS
from supportdesk.extensions import db
from supportdesk.models import SupportRequest
from supportdesk.services.packs import load_pack
from tests.conftest import DEMO_PACKS

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


def readme_accounts(pack="hyogo"):
    """(role, e-mail) of README's demo table: Hyogo's (the one demo_smoke.py reads), or the
    table of another pack's demo, whose rows start with the e-mail ("E-mail (Nagano demo)")."""
    if pack == "hyogo":
        return re.findall(r"^\|\s*([a-z_ ]+?)\s*\|\s*([\w.+-]+@[\w.-]+)\s*\|", readme_text(),
                          re.MULTILINE)
    table = readme_text().split(f"| E-mail ({pack.title()} demo) |", 1)[1].split("\n\n", 1)[0]
    return [(role, email) for email, role in re.findall(
        r"^\|\s*([\w.+-]+@[\w.-]+)\s*\|\s*([a-z_ ]+?)\s*\|", table, re.MULTILINE)]


def test_readme_demo_table_lists_every_demo_account():
    assert sorted(email for _role, email in readme_accounts()) == sorted(u[0] for u in DEMO_USERS)
    assert f"**`{DEMO_PASSWORD}`**" in readme_text()


def test_readme_lists_each_packs_demo_accounts_as_cast():
    for pack in DEMO_PACKS[1:]:
        cast = cast_for(pack)
        assert sorted(email for _role, email in readme_accounts(pack)) == sorted(
            cast(u[0]) for u in DEMO_USERS), pack
        assert {role for role, _email in readme_accounts(pack)} == {
            role for role, _email in readme_accounts()}


@pytest.fixture(params=DEMO_PACKS)
def demo_desk(request, app, runner, make_app, pack_demo_config):
    """The seeded demo desk (its app context pushed): Hyogo's seeded for each test as it always
    was, another pack's seeded once for the module."""
    if request.param == "hyogo":
        result = runner.invoke(args=["seed", "--demo"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        yield app
        return
    desk = make_app(**pack_demo_config(request.param))
    desk.demo_pack = request.param
    with desk.app_context():
        yield desk
        db.session.remove()


@pytest.fixture
def nagano_desk(make_app, pack_demo_config):
    desk = make_app(**pack_demo_config("nagano"))
    with desk.app_context():
        yield desk
        db.session.remove()


def pack_of(desk):
    return getattr(desk, "demo_pack", "hyogo")


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


def test_every_demo_account_opens_every_page_two_clicks_from_home(demo_desk):
    # One seeded desk for all the accounts: seeding once per account would triple the time.
    client = demo_desk.test_client()
    broken = {}
    for _role, email in readme_accounts(pack_of(demo_desk)):
        _login(client, email)
        answers = crawl(client)
        assert len(answers) > 3, (email, answers)
        broken.update({f"{email} GET {url}": status for url, status in answers.items()
                       if status >= 500})
    assert not broken, broken


def test_queue_search_finds_each_demo_request_by_number(demo_desk):
    client = demo_desk.test_client()
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


def _number_of(title):
    return db.session.scalar(sa.select(SupportRequest.number).where(SupportRequest.title == title))


def test_on_nagano_the_demo_routes_to_its_unions_and_to_its_central_team(nagano_desk):
    """Nagano has no 政令市: 長野市 plays 神戸市, and its requests reach the central team
    through the 長野 広域連合 that the central team's liaison works; 阿南町 (佐用町's player) goes
    to the 南信州 liaison. Every demo request has a team."""
    from supportdesk.permissions import team_for

    cast = cast_for("nagano")
    requests = db.session.scalars(sa.select(SupportRequest)
                                  .where(SupportRequest.number.is_not(None))).all()
    assert all(team_for(s.region) for s in requests), [s.number for s in requests
                                                       if not team_for(s.region)]
    by_muni = {}
    for sreq in requests:
        by_muni.setdefault(sreq.municipality.name, []).append(sreq)
    (city,) = by_muni["長野市"]
    assert cast.muni("神戸市") == "長野市" and city.region.name == "長野"
    assert [u.email for u in team_for(city.region)] == ["liaison.central@demo.example.jp"]
    assert all(team_for(s.region)[0].is_central_team for s in by_muni["長野市"])
    anan = by_muni[cast.muni("佐用町")]
    assert {s.region.name for s in anan} == {"南信州"}
    assert {u.email for u in team_for(anan[0].region)} == {cast(
        "liaison.nishiharima@demo.example.jp")} == {"liaison.minamishinshu@demo.example.jp"}
    # As the liaisons see it: each one's own queue (their regions) holds its requests.
    client = nagano_desk.test_client()
    city_number, anan_number = city.number, anan[0].number
    _login(client, "liaison.central@demo.example.jp")
    page = client.get("/queue/", query_string={"state": "all"}).get_data(as_text=True)
    assert city_number in page and anan_number not in page
    _login(client, "liaison.minamishinshu@demo.example.jp")
    page = client.get("/queue/", query_string={"state": "all"}).get_data(as_text=True)
    assert anan_number in page and city_number not in page


def test_reach_counts_out_of_the_packs_own_number_of_municipalities(nagano_desk):
    """The manager's monthly report and dashboard count reach out of the desk's own
    municipalities: 「全77市町村」 on Nagano's desk (「全41市町」 on Hyogo's), and the report's
    CSV and XLSX download."""
    from supportdesk.timeutil import JST, utcnow

    p = load_pack("nagano")
    total = f"全{len(p.municipalities)}{p.municipalities_word}"
    assert total == "全77市町村"
    client = nagano_desk.test_client()
    _login(client, "manager@demo.example.jp")
    ym = utcnow().astimezone(JST).strftime("%Y-%m")
    monthly = client.get(f"/reports/monthly/{ym}")
    assert monthly.status_code == 200
    assert total in monthly.get_data(as_text=True)
    dashboard = client.get("/reports/dashboard").get_data(as_text=True)
    assert f"/ {len(p.municipalities)} {p.municipalities_word}" in dashboard
    for fmt in ("csv", "xlsx"):
        export = client.get(f"/reports/monthly/{ym}.{fmt}")
        assert export.status_code == 200 and len(export.data) > 100, fmt


# Text columns the demo does not write: the reference data every pack's desk is seeded with
# (the case library holds real cases of named municipalities, Hyogo's among them) and kana.
NOT_DEMO_TEXT = {"cases", "themes", "status_items", "retention_policies", "alembic_version"}


def _hyogo_words():
    from supportdesk.demo.cast import _stem, names_in_demo

    hyogo = load_pack("hyogo")
    words = {m.name for m in hyogo.municipalities} | {r.name for r in hyogo.regions}
    words |= {_stem(n) for n in names_in_demo()[0] if _stem(n)}
    return words | {"兵庫", "ひょうご", "hyogo", "kobe", "sayo", "kamikawa", "toyooka",
                    "nishiharima", "tajima", "hanshin", "阪神", "播磨", "近畿"}


def test_no_hyogo_name_is_left_in_anything_the_nagano_demo_wrote(nagano_desk):
    words = _hyogo_words()
    found, scanned = [], 0
    for table in db.metadata.sorted_tables:
        if table.name in NOT_DEMO_TEXT:
            continue
        columns = [c for c in table.c if isinstance(c.type, (sa.String, sa.Text, sa.JSON))
                   and c.name != "kana"]
        for column in columns:
            for value in db.session.scalars(sa.select(column).where(column.is_not(None))):
                text = value if isinstance(value, str) else repr(value)
                scanned += 1
                found += [f"{table.name}.{column.name}: {w} in {text[:80]!r}"
                          for w in words if w in text]
    assert scanned > 5000
    assert found == [], "\n".join(found[:40])
    # Negative control: the same scan does see Hyogo in the case library the desk ships.
    titles = " ".join(db.session.scalars(sa.select(sa.text("organisation")).select_from(
        sa.table("cases"))))
    assert any(w in titles for w in words)


def _smoke_fields(form_html):
    """The form filled as the demo smoke (../shared/tools/demo_smoke.py) fills it: a title in
    every empty text box, the first choice of every select and the first box of each group."""
    data, groups = [], set()
    for tag in re.findall(r"<input\b[^>]*>", form_html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = html.unescape((re.search(r'value="([^"]*)"', tag) or [None, ""])[1])
        if kind == "checkbox" and name[1] not in groups:
            groups.add(name[1])
            data.append((name[1], value or "y"))
        elif kind == "hidden":
            data.append((name[1], value))
        elif kind in ("text", "search"):
            data.append((name[1], value or "デモ確認の件名"))
    for name, body in re.findall(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form_html, re.S):
        options = [v for v in re.findall(r'<option[^>]*value="([^"]*)"', body)
                   if v not in ("", "0", "__None")]
        if options:
            data.append((name, html.unescape(options[0])))
    for name in re.findall(r'<textarea\b[^>]*name="([^"]+)"', form_html):
        data.append((name, "窓口のデジタル化について相談したいことがあります。"))
    return data


def test_every_staff_account_files_the_first_request_form_as_the_smoke_does(demo_desk):
    """The smoke's third step, on each pack's demo: every municipal staff account opens the
    intake from home, fills the first form offered like a person would and submits it; the
    answer is the new request, whose page shows its number."""
    from werkzeug.datastructures import MultiDict

    client = demo_desk.test_client()
    staff = [email for role, email in readme_accounts(pack_of(demo_desk)) if role == "municipal staff"]
    assert len(staff) >= 4
    for email in staff:
        _login(client, email)
        home = client.get("/", follow_redirects=True).get_data(as_text=True)
        intake = re.search(r'href="([^"]*/requests/new[^"]*)"', home)
        assert intake, f"{email}: home links to no request form"
        chooser = client.get(html.unescape(intake.group(1)), follow_redirects=True).get_data(
            as_text=True)
        target = html.unescape(re.findall(r'href="([^"]*/requests/new/[^"]+)"', chooser)[0])
        page = client.get(target).get_data(as_text=True)
        form = max(re.findall(r'<form\b[^>]*method="post"[^>]*>(.*?)</form>', page, re.S | re.I),
                   key=len)
        resp = client.post(target, data=MultiDict(_smoke_fields(form) + [("submit", "1")]))
        assert resp.status_code in (302, 303), (email, resp.status_code,
                                                re.sub(r"\s+", " ", resp.get_data(as_text=True))[:300])
        shown = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert re.search(r"R\d+-\d{4}", shown), f"{email}: no request number on the new request"
