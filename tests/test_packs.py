"""Prefecture packs: Hyogo is one configuration, Nagano a second; a pack is validated with
errors that name the line; no Hyogo word or code lives outside its pack and the demo data."""
import re
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import DeskProfile, Municipality, Region
from supportdesk.services.packs import PackError, load_pack, parse_pack
from supportdesk.services.reports.tiles import contact_recency_tiles
from supportdesk.services.seed import seed_reference
from supportdesk.timeutil import utcnow
from tests.factories import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[1]


def test_the_default_pack_is_hyogo_and_seeds_the_desk_as_it_was(app, client):
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    assert [r.name for r in regions] == ["神戸", "阪神南", "阪神北", "東播磨", "北播磨", "中播磨",
                                         "西播磨", "但馬", "丹波", "淡路"]
    assert [r.name for r in regions if not r.has_liaison] == ["神戸"]
    kinds = Counter(db.session.scalars(sa.select(Municipality.kind)))
    assert kinds == {"市": 28, "町": 12, "政令市": 1}
    sayo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "28501"))
    assert (sayo.name, sayo.kana, sayo.region.name) == ("佐用町", "さようちょう", "西播磨")
    profile = db.session.get(DeskProfile, 1)
    assert (profile.pack, profile.prefecture_name, profile.municipalities_word) == ("hyogo", "兵庫県", "市町")
    page = client.get("/login").get_data(as_text=True)
    assert "兵庫県 市町DX支援パッケージ DX推進リエゾン" in page


@pytest.fixture
def nagano_app(blank_app):
    db.create_all()
    assert seed_reference("長野県") == 77
    db.session.commit()
    return blank_app


def test_nagano_has_77_municipalities_with_villages_in_its_ten_unions(nagano_app):
    kinds = Counter(db.session.scalars(sa.select(Municipality.kind)))
    assert kinds == {"市": 19, "町": 23, "村": 35}
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    assert len(regions) == 10 and all(r.has_liaison for r in regions)
    hakuba = db.session.scalar(sa.select(Municipality).where(Municipality.name == "白馬村"))
    assert (hakuba.code, hakuba.kana, hakuba.kind, hakuba.region.name) == (
        "20485", "はくばむら", "村", "北アルプス")
    assert db.session.get(DeskProfile, 1).municipalities_word == "市町村"
    # Its tile map (no layout file in the pack): one tile per municipality, each on its own place.
    tiles = contact_recency_tiles(utcnow(), None)
    assert len(tiles) == 77 and len({(t["col"], t["row"]) for t in tiles}) == 77
    # A desk set up for Nagano is never re-seeded as another prefecture.
    with pytest.raises(PackError, match="長野県"):
        seed_reference("hyogo")


def test_nagano_pages_say_its_word_and_its_footer(nagano_app):
    client = nagano_app.test_client()
    login = client.get("/login").get_data(as_text=True)
    assert "長野県 市町村DX支援 DX推進リエゾン(例)" in login and "兵庫" not in login
    liaison = make_user("liaison", regions=("北アルプス",), email="l@nagano.example.jp")
    resp = client.post("/login", data={"email": liaison.email, "password": PASSWORD})
    assert resp.status_code == 302
    queue = client.get("/queue/").get_data(as_text=True)
    assert "市町村" in queue and "白馬村" in queue
    assert re.search("市町(?!村)", queue) is None, "a message still says 市町"
    assert "市町村村" not in queue


def test_cli_seeds_a_prefecture_by_name(blank_app):
    db.create_all()
    result = blank_app.test_cli_runner().invoke(args=["seed", "--prefecture", "20"])
    assert result.exit_code == 0, result.output
    assert "77 municipalities" in result.output
    wrong = blank_app.test_cli_runner().invoke(args=["seed", "--prefecture", "火星県"])
    assert wrong.exit_code != 0 and "no prefecture pack for '火星県'" in wrong.output


GOOD = (ROOT / "supportdesk/data/packs/nagano.toml").read_text("utf-8")


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace('name = "長野県"', 'name = "長野懸"'), r"nagano.toml:\d+: prefecture 20 is 長野県"),
    (lambda t: t.replace('colour = "#0b5cab"', 'colour = "#0b5cab"\ncolor = "red"'),
     r"nagano.toml:18: unknown key 'color' in \[prefecture\]"),
    (lambda t: t.replace('"20485", ', ''), r"nagano.toml:1: 白馬村 \(20485\) belongs to no region"),
    (lambda t: t.replace('members = ["20202"', 'members = ["20485", "20202"'),
     r"nagano.toml:\d+: 白馬村 \(20485\) is already in region"),
    (lambda t: t.replace('"20485"', '"28501"'), r"nagano.toml:\d+: 28501 is not a municipality of 長野県"),
    (lambda t: t.replace('[[regions]]\nname = "木曽"', '[[regions]]\nname = "木曽"\nmembrs = []'),
     r"nagano.toml:\d+: unknown key 'membrs' in a region"),
    (lambda t: t.replace('code = "20"', 'code = "20'), r"nagano.toml: .*line 10, column 11"),
])
def test_a_broken_pack_is_refused_naming_the_line(change, message):
    with pytest.raises(PackError) as caught:
        parse_pack(change(GOOD), key="nagano")
    assert re.search(message, str(caught.value)), str(caught.value)


def test_the_line_named_is_the_line_of_the_mistake():
    broken = GOOD.replace('"20485"', '"28501"')
    with pytest.raises(PackError) as caught:
        parse_pack(broken, key="nagano")
    line = int(re.search(r"nagano.toml:(\d+): 28501", str(caught.value)).group(1))
    assert '"28501"' in broken.splitlines()[line - 1]


def test_every_shipped_pack_is_valid():
    packs = {key: load_pack(key) for key in ("hyogo", "nagano")}
    assert {k: len(p.municipalities) for k, p in packs.items()} == {"hyogo": 41, "nagano": 77}


HYOGO_CODES = {m.code for m in load_pack("hyogo").municipalities}
SCANNED = ("supportdesk", "templates", "migrations", "static")
EXEMPT = ("supportdesk/data/", "supportdesk/demo/")


def test_no_hyogo_word_or_code_outside_its_pack_and_the_demo():
    words = re.compile(r"兵庫|神戸|hyogo|kobe", re.IGNORECASE)
    codes = re.compile(r"(?<![0-9])(" + "|".join(sorted(HYOGO_CODES)) + r")(?![0-9])")
    found = []
    for top in SCANNED:
        for path in (ROOT / top).rglob("*"):
            rel = path.relative_to(ROOT).as_posix()
            if not path.is_file() or rel.startswith(EXEMPT) or path.suffix in (".mo", ".pyc", ".png", ".woff2"):
                continue
            for n, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
                if words.search(line) or codes.search(line):
                    found.append(f"{rel}:{n}: {line.strip()[:100]}")
    assert found == [], "Hyogo outside its pack:\n" + "\n".join(found)
    # Negative control: the scan does see the pack itself.
    assert words.search((ROOT / "supportdesk/data/packs/hyogo.toml").read_text("utf-8"))


def test_nagano_report_export_rows_say_its_word(nagano_app):
    """The CSV/XLSX rows of the monthly report are written in Python, not through the
    catalogue: their labels must say the pack's word too (they said 市町 on a Nagano desk)."""
    from supportdesk.services.reports.monthly import build_monthly_report, flat_rows

    make_user("liaison", regions=("北アルプス",), email="l2@nagano.example.jp")
    rows = flat_rows(build_monthly_report(2026, 6))
    labels = [f"{section} {label}" for section, label, *_ in rows]
    assert any("接点のあった市町村数" in line for line in labels)
    assert any(line.startswith("市町村 ") for line in labels) or \
        not build_monthly_report(2026, 6)["by_municipality"]
    assert not [line for line in labels if re.search("市町(?!村)", line)], labels
