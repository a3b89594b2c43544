"""The demo's cast (supportdesk/demo/cast.py and a pack's [demo] section): every Hyogo name the
demo uses has a player in the second pack, a missing or wrong entry is refused with a message
naming it (and its line), and on Hyogo's own desk the cast changes nothing. No demo seeding
here: tests/test_demo_desk.py and the browser journeys seed the cast demo."""
import re
from pathlib import Path

import pytest

from supportdesk.demo.cast import (DEMO_HANDLES, SOURCE_PACK, CastError, build_cast, cast_for,
                                   names_in_demo)
from supportdesk.demo.users import DEMO_USERS
from supportdesk.roles import Role
from supportdesk.services.packs import PackError, load_pack, parse_pack
from supportdesk.services.packs.demo_section import demo_section_of
from tests.conftest import DEMO_PACKS

ROOT = Path(__file__).resolve().parents[1]
NAGANO = (ROOT / "supportdesk/data/packs/nagano.toml").read_text("utf-8")


def test_every_hyogo_name_of_the_demo_is_cast_in_every_other_pack():
    munis, regions = names_in_demo()
    assert "佐用町" in munis and "神戸市" in munis and len(munis) >= 30
    assert set(regions) == {r.name for r in load_pack(SOURCE_PACK).regions}
    for pack in DEMO_PACKS[1:]:
        cast = cast_for(pack)
        here = {m.name for m in load_pack(pack).municipalities}
        assert {n: cast.muni(n) for n in munis if cast.muni(n) not in here} == {}, pack
        assert set(cast.regions) >= set(regions) and set(cast.handles) >= set(DEMO_HANDLES)
        # No two of the demo's municipalities are played by the same one.
        assert len({cast.muni(n) for n in munis}) == len(munis)


def test_the_cast_replaces_names_in_text_addresses_and_tables():
    cast = cast_for("nagano")
    assert cast.muni("佐用町") == "阿南町" and cast.muni("神戸市") == "長野市"
    assert cast("佐用 情報") == "阿南 情報"
    assert cast("sayo.joho@demo.example.jp") == "anan.joho@demo.example.jp"
    assert cast("mirai.sayo@town.example.jp") == "mirai.anan@town.example.jp"
    assert cast("info-head-next@28501.demo.example.jp") == "info-head-next@20404.demo.example.jp"
    assert cast("カイゼンDX講座の合同開催(宍粟市・佐用町)") == "カイゼンDX講座の合同開催(飯田市・阿南町)"
    assert cast("兵庫県 デジタル改革課") == "長野県 デジタル改革課"
    assert cast("市町DX推進連絡会") == "市町村DX推進連絡会"  # the pack's word
    assert cast("西播磨 リエゾン") == "南信州 リエゾン"
    assert cast("e-ひょうご(電子申請)の刷新") == "ながの電子申請サービスの刷新"
    # Words that only look alike stay: the role's e-mail, a mail domain, the enum values.
    assert cast("expert@demo.example.jp") == "expert@demo.example.jp"
    assert cast("ksayo@x.jp") == "ksayo@x.jp"
    users = cast(DEMO_USERS)
    assert all(type(u[2]) is Role for u in users)
    assert "liaison.minamishinshu@demo.example.jp" in {u[0] for u in users}
    assert ("南信州", "上伊那") in {u[4] for u in users}
    # The central team's liaison works the union that plays Kobe's region.
    assert cast.central_stand_ins == ("長野",)


def test_on_hyogos_desk_the_cast_is_the_identity():
    cast = cast_for("hyogo")
    assert cast.identity and cast(DEMO_USERS) is DEMO_USERS
    assert cast("佐用町") == "佐用町" and cast.muni("佐用町") == "佐用町"
    assert cast.central_stand_ins == ()


def _cast_of(text):
    return build_cast(parse_pack(text, key="nagano"), demo_section_of(text))


def test_a_name_of_the_demo_left_uncast_is_a_clear_error_naming_it():
    broken = NAGANO.replace('"西宮市" = "諏訪市"\n', "")
    with pytest.raises(CastError) as caught:
        _cast_of(broken)
    assert str(caught.value) == ("packs/nagano.toml: [demo.municipalities] casts no one as 西宮市 "
                                 "(named in the demo)")
    with pytest.raises(CastError, match="gives no handle for 'tajima'"):
        _cast_of(NAGANO.replace('tajima = "hokushin"\n', ""))
    with pytest.raises(CastError, match="casts no one as 豊岡市"):
        cast_for("nagano").muni("豊岡市") and build_cast(
            load_pack("nagano"), demo_section_of(NAGANO.replace('"豊岡市" = "中野市"', "")))


def test_a_pack_without_a_demo_section_cannot_seed_the_demo():
    text = NAGANO.split("\n[demo]\n")[0]
    with pytest.raises(CastError, match=r"packs/nagano.toml: has no \[demo\] section"):
        _cast_of(text)
    # ...and is still a valid pack.
    assert len(parse_pack(text, key="nagano").municipalities) == 77


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace('"佐用町" = "阿南町"', '"佐用町" = "阿南村"'),
     r"nagano.toml:(\d+): 阿南村 is not a municipality of this pack"),
    (lambda t: t.replace('"佐用町" = "阿南町"', '"佐用町" = "白馬村"'),
     r"nagano.toml:(\d+): 白馬村 is in 北アルプス, but 佐用町's region 西播磨 is played by 南信州"),
    (lambda t: t.replace('"上郡町" = "高森町"', '"上郡町" = "阿南町"'),
     r"nagano.toml:(\d+): 阿南町 already plays 佐用町 \(municipalities\)"),
    (lambda t: t.replace('"佐用町" = "阿南町"', '"佐用村" = "阿南町"'),
     r"nagano.toml:(\d+): 佐用村 is not a municipality of 兵庫県"),
    (lambda t: t.replace('"但馬" = "北信"', '"但馬" = "北信濃"'),
     r"nagano.toml:(\d+): 北信濃 is not a region of this pack"),
    (lambda t: t.replace('kobe = "nagano"', 'kobe = "Nagano City"'),
     r"nagano.toml:(\d+): 'Nagano City' is not an e-mail handle"),
    (lambda t: t.replace('cast_from = "hyogo"', 'cast_from = "nagano"'),
     r"nagano.toml:(\d+): cast_from must name another pack"),
    (lambda t: t.replace('cast_from = "hyogo"', 'cast_from = "hyogo"\ncast = "all"'),
     r"nagano.toml:(\d+): unknown key 'cast' in \[demo\]"),
])
def test_a_broken_demo_section_is_refused_naming_the_line(change, message):
    broken = change(NAGANO)
    with pytest.raises(PackError) as caught:
        parse_pack(broken, key="nagano")
    found = re.search(message, str(caught.value))
    assert found, str(caught.value)
    # The line named is the line of the mistake (or of the key it is about).
    line = broken.splitlines()[int(found.group(1)) - 1]
    assert any(word in line for word in ("阿南", "白馬", "佐用", "北信", "Nagano", "cast")), line


def test_run_py_demo_takes_a_prefecture():
    import run

    assert run.prefecture_option(["--prefecture", "nagano", "--debug"]) == ("nagano", ["--debug"])
    assert run.prefecture_option(["--prefecture=20"]) == ("20", [])
