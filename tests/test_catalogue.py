"""The programme catalogue (講座メニュー, 支援の種類, 専門人材の種別) comes from the prefecture pack,
lives in catalogue_entries and is the admin's afterwards: Hyogo's pack gives today's choices
and labels, Nagano's its own menus, a retired entry leaves the forms but not the old rows, and
an admin's change is audited and shows at once."""
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import AuditLog, CatalogueEntry
from supportdesk.services.packs import PackError, load_pack, parse_pack
from supportdesk.services.seed import seed_reference
from tests.factories import PASSWORD, make_expert, make_request, make_staff, make_user
from tests.test_api import bearer

ROOT = Path(__file__).resolve().parents[1]
# What the desk offered before the catalogue was data (the code's tables then), in order.
TODAY = {
    "lecture_menu": ["top_management", "kaizen", "data", "other"],
    "support_kind": ["advice", "bridge", "case", "vendor"],
    "expert_kind": ["県職員", "県の民間採用人材", "DXアドバイザー", "戦略監", "国のDXアドバイザー",
                    "先行市町職員", "事業者"],
}
TODAY_JA = {
    "lecture_menu": ["トップマネジメント", "カイゼンDX", "データ利活用", "その他"],
    "support_kind": ["専門的な助言", "関係部署への橋渡し", "事例紹介", "事業者紹介"],
    "expert_kind": TODAY["expert_kind"],
}
# The English the translation catalogue gave these words before the pack took them over
# (messages.po at 85965b8; the catalogue no longer carries msgids the code stopped using).
PO = {
    'トップマネジメント': 'Top management',
    'カイゼンDX': 'Kaizen DX',
    'データ利活用': 'Data utilisation',
    'その他': 'Other',
    '専門的な助言': 'Expert advice',
    '関係部署への橋渡し': 'Bridging to relevant divisions',
    '事例紹介': 'Case introduction',
    '事業者紹介': 'Vendor introduction',
    '県職員': 'Prefectural staff',
    '県の民間採用人材': "Prefecture's private-sector hires",
    'DXアドバイザー': 'DX advisor',
    '戦略監': 'Strategy director',
    '国のDXアドバイザー': 'National DX advisor',
    '先行市町職員': 'Staff of a leading municipality',
    '事業者': 'Vendor',
    'まずは業務改善からというニーズに、様々な事例やツールを紹介。現場業務の改善で成功体験を積む。': 'For municipalities that want to start with business improvement: introduces various cases and tools, building success through improving day-to-day work.',
}


def _options(html, name):
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select)


def _checkboxes(html, name):
    return re.findall(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"[^>]*> ([^<]*)</label>', html)


def _entry(list_name, key):
    return db.session.scalar(sa.select(CatalogueEntry).where(CatalogueEntry.list == list_name,
                                                             CatalogueEntry.key == key))


def test_the_hyogo_pack_seeds_todays_choices_with_todays_labels(app):
    for list_name, keys in TODAY.items():
        rows = db.session.scalars(sa.select(CatalogueEntry).where(CatalogueEntry.list == list_name)
                                  .order_by(CatalogueEntry.sort_order)).all()
        assert [r.key for r in rows] == keys
        assert [r.name_ja for r in rows] == TODAY_JA[list_name]
        # The English labels are the ones the translation catalogue gave these words.
        assert [r.name_en for r in rows] == [PO[name] for name in TODAY_JA[list_name]]
    # The guidance is the package's text, line by line, in both languages.
    kaizen = _entry("lecture_menu", "kaizen")
    assert kaizen.guidance_ja.splitlines()[0] == (
        "趣旨: まずは業務改善からというニーズに、様々な事例やツールを紹介。現場業務の改善で成功体験を積む。")
    assert kaizen.guidance_en.splitlines()[0] == "Purpose: " + PO[
        "まずは業務改善からというニーズに、様々な事例やツールを紹介。現場業務の改善で成功体験を積む。"]


def test_forms_offer_the_catalogue_in_japanese_and_english(app, client, login_as):
    login_as(make_staff("佐用町"))
    lecture = client.get("/requests/new/lecture").get_data(as_text=True)
    assert _options(lecture, "program") == list(zip(TODAY["lecture_menu"], TODAY_JA["lecture_menu"]))
    assert ("<dt>カイゼンDX</dt>\n        <dd>趣旨: まずは業務改善からというニーズに、様々な事例やツールを紹介。"
            "現場業務の改善で成功体験を積む。<br>対象: 市町の業務担当課職員。市町単独での実施が基本。<br>内容: ") in lecture
    consultation = client.get("/requests/new/consultation").get_data(as_text=True)
    assert _checkboxes(consultation, "help_wanted") == list(zip(TODAY["support_kind"],
                                                                TODAY_JA["support_kind"]))
    client.post("/language/en", data={"next": "/"})
    lecture = client.get("/requests/new/lecture").get_data(as_text=True)
    assert [label for _k, label in _options(lecture, "program")] == [
        PO[name] for name in TODAY_JA["lecture_menu"]]
    assert "<dd>Purpose: Asks the leadership to understand and drive regional DX initiatives.<br>Object: " in lecture
    consultation = client.get("/requests/new/consultation").get_data(as_text=True)
    assert [label for _k, label in _checkboxes(consultation, "help_wanted")] == [
        PO[name] for name in TODAY_JA["support_kind"]]


def test_the_expert_form_offers_the_catalogues_kinds(app, client, login_as):
    expert = make_expert("戦略監")
    login_as(make_user("admin", email="admin@pref.example.jp"))
    page = client.get(f"/admin/experts/{expert.id}").get_data(as_text=True)
    assert _options(page, "kind") == list(zip(TODAY["expert_kind"], TODAY_JA["expert_kind"]))


@pytest.fixture
def nagano_app(blank_app):
    db.create_all()
    seed_reference("長野県")
    db.session.commit()
    return blank_app


def test_a_nagano_desk_offers_naganos_lecture_menus(nagano_app):
    client = nagano_app.test_client()
    staff = make_user("municipal_staff", municipality_name="白馬村", email="s@hakuba.example.jp")
    client.post("/login", data={"email": staff.email, "password": PASSWORD})
    page = client.get("/requests/new/lecture").get_data(as_text=True)
    menus = [e for e in load_pack("nagano").catalogue if e.list == "lecture_menu"]
    assert _options(page, "program") == [(e.key, e.name) for e in menus]
    assert "小規模村のDX(例)" in page and "(例) 趣旨: 職員数の少ない村で" in page
    assert "トップマネジメント</" not in page and "カイゼンDX</" not in page
    # Its expert kinds say 市町村 too.
    assert _entry("expert_kind", "先行市町村職員") is not None
    assert _entry("expert_kind", "先行市町職員") is None


def _admin(client, login_as):
    login_as(make_user("admin", email="admin@pref.example.jp"))
    return client


def _edit(client, entry, **changes):
    data = {"name_ja": entry.name_ja, "name_en": entry.name_en or "", "guidance_ja": entry.guidance_ja or "",
            "guidance_en": entry.guidance_en or "", "sort_order": str(entry.sort_order)}
    if entry.active:
        data["active"] = "y"
    data.update(changes)
    return client.post(f"/admin/catalogue/{entry.id}", data={k: v for k, v in data.items() if v is not None})


def test_a_retired_menu_leaves_the_form_but_an_old_request_keeps_its_label(app, client, login_as):
    staff = make_staff("佐用町")
    old = make_request(staff, "lecture", state="submitted", program="data")
    _admin(client, login_as)
    resp = _edit(client, _entry("lecture_menu", "data"), active=None)
    assert resp.status_code == 302
    assert _entry("lecture_menu", "data").active is False
    login_as(staff)
    form = client.get("/requests/new/lecture").get_data(as_text=True)
    assert "data" not in [k for k, _l in _options(form, "program")]
    assert "<dt>データ利活用</dt>" not in form
    page = client.get(f"/requests/{old.id}").get_data(as_text=True)
    assert "<dd>データ利活用</dd>" in page
    # A new request cannot take it, by the form or the API.
    resp = client.post("/requests/new/lecture", data={"title": "講座", "program": "data", "save_draft": "1"})
    assert resp.status_code == 200 and "data" not in [k for k, _l in _options(resp.get_data(as_text=True), "program")]
    api = client.post("/api/v1/requests", headers=bearer(staff, "write"), json={
        "kind": "lecture", "title": "講座", "program": "data"})
    assert api.status_code == 422, api.get_data(as_text=True)
    # The API document offers what the forms offer.
    doc = client.get("/api/v1/openapi.json").get_json()
    program = doc["components"]["schemas"]["RequestCreate"]["properties"]["program"]
    assert re.findall(r"'enum': \[([^\]]*)\]", str(program)) == ["'top_management', 'kaizen', 'other'"]


def test_an_admins_rename_is_audited_and_shows_at_once(app, client, login_as):
    staff = make_staff("佐用町")
    login_as(staff)
    before = client.get("/requests/new/lecture").get_data(as_text=True)  # the cache holds the catalogue
    assert ("kaizen", "カイゼンDX") in _options(before, "program")
    admin = _admin(client, login_as)
    kaizen = _entry("lecture_menu", "kaizen")
    resp = _edit(admin, kaizen, name_ja="業務カイゼンDX", name_en="Business kaizen DX", sort_order="25")
    assert resp.status_code == 302
    audit = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "catalogue.updated")).one()
    assert audit.target_type == "CatalogueEntry" and audit.target_id == str(kaizen.id)
    assert audit.detail["before"]["name_ja"] == "カイゼンDX" and audit.detail["after"]["name_ja"] == "業務カイゼンDX"
    login_as(staff)
    after = client.get("/requests/new/lecture").get_data(as_text=True)
    assert [k for k, _l in _options(after, "program")] == ["top_management", "data", "kaizen", "other"]
    assert ("kaizen", "業務カイゼンDX") in _options(after, "program")  # renamed and moved
    client.post("/language/en", data={"next": "/"})
    assert ("kaizen", "Business kaizen DX") in _options(
        client.get("/requests/new/lecture").get_data(as_text=True), "program")


def test_an_admin_adds_a_support_kind_and_it_is_offered(app, client, login_as):
    admin = _admin(client, login_as)
    resp = admin.post("/admin/catalogue/new", data={
        "list_name": "support_kind", "key": "training", "name_ja": "研修の紹介", "name_en": "Training",
        "sort_order": "50", "active": "y"})
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "catalogue.created")) == 1
    listing = admin.get("/admin/catalogue/").get_data(as_text=True)
    assert "研修の紹介" in listing
    login_as(make_staff("佐用町"))
    form = client.get("/requests/new/consultation").get_data(as_text=True)
    assert ("training", "研修の紹介") in _checkboxes(form, "help_wanted")
    # The kind chooser's consultation card says what a consultation can ask for: the catalogue's.
    card = client.get("/requests/new").get_data(as_text=True).split('data-testid="kind-consultation"')[1]
    card = card.split("</li>")[0]
    assert "研修の紹介" in card and "事業者紹介" in card


def test_no_form_hint_names_a_programme_of_one_prefecture(nagano_app):
    """The lecture form's hints are the desk's, not Hyogo's programme names (カイゼンDX, データ利活用
    are the Hyogo pack's menus; a Nagano desk has its own)."""
    client = nagano_app.test_client()
    staff = make_staff("白馬村", email="s@nagano.example.jp")
    client.post("/login", data={"email": staff.email, "password": PASSWORD})
    lecture = client.get("/requests/new/lecture").get_data(as_text=True)
    hints = " ".join(re.findall(r'<p class="hint"[^>]*>(.*?)</p>', lecture, re.S))
    assert "事前ワーク" in lecture
    assert "カイゼンDX" not in hints and "データ利活用" not in hints, hints


def test_the_admin_form_refuses_with_japanese_messages_and_keeps_the_input(app, client, login_as):
    admin = _admin(client, login_as)
    resp = admin.post("/admin/catalogue/new", data={
        "list_name": "lecture_menu", "key": "kaizen", "name_ja": "重複メニュー", "active": "y"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "このキーは既に使われています。" in page
    assert 'value="重複メニュー"' in page
    resp = admin.post("/admin/catalogue/new", data={
        "list_name": "lecture_menu", "key": "Bad Key", "name_ja": "", "guidance_ja": "案内の下書き"})
    page = resp.get_data(as_text=True)
    assert "名称を入力してください。" in page and "案内の下書き" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CatalogueEntry)
                             .where(CatalogueEntry.name_ja == "重複メニュー")) == 0


def test_only_an_admin_edits_the_catalogue(app, client, login_as):
    login_as(make_user("liaison", regions=("西播磨",), email="l@pref.example.jp"))
    assert client.get("/admin/catalogue/").status_code == 403
    entry = _entry("lecture_menu", "kaizen")
    assert client.post(f"/admin/catalogue/{entry.id}", data={"name_ja": "x"}).status_code == 403
    assert _entry("lecture_menu", "kaizen").name_ja == "カイゼンDX"


def test_seeding_again_keeps_the_admins_changes(app):
    entry = _entry("lecture_menu", "kaizen")
    entry.name_ja, entry.active = "改名済み", False
    db.session.commit()
    seed_reference()
    db.session.commit()
    entry = _entry("lecture_menu", "kaizen")
    assert (entry.name_ja, entry.active) == ("改名済み", False)


GOOD = (ROOT / "supportdesk/data/packs/nagano.toml").read_text("utf-8")


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace('key = "village"\n', 'key = "village"\ncolour = "red"\n'),
     r"nagano.toml:(\d+): unknown key 'colour' in \[\[lecture_menus\]\]"),
    (lambda t: t.replace('key = "village"', 'key = "kaizen"'),
     r"nagano.toml:(\d+): lecture menu 'kaizen' appears twice"),
    (lambda t: t.replace('key = "village"', 'key = "Village DX"'),
     r"nagano.toml:(\d+): \[\[lecture_menus\]\] needs a key of at most 20 characters"),
    (lambda t: t.replace('name = "小規模村のDX(例)"\n', ''),
     r"nagano.toml:(\d+): \[\[lecture_menus\]\] 'village' needs a name"),
    (lambda t: t.replace('themes = "themes.csv"', 'themes = "nagano/themes.csv"'),
     r"nagano.toml:(\d+): no data file 'nagano/themes.csv' for themes"),
    (lambda t: t.replace('[catalogue]\n', '[catalogue]\nthemse = "x"\n'),
     r"nagano.toml:(\d+): unknown key 'themse' in \[catalogue\]"),
    (lambda t: t.replace("[[support_kinds]]", "[[suport_kinds]]"),
     r"nagano.toml:(\d+): unknown section or key 'suport_kinds'"),
    (lambda t: t.replace("[[expert_kinds]]", "[[experts]]"),
     r"nagano.toml:(1): at least one \[\[expert_kinds\]\] is required"),
])
def test_a_broken_catalogue_is_refused_naming_the_line(change, message):
    broken = change(GOOD)
    assert broken != GOOD
    with pytest.raises(PackError) as caught:
        parse_pack(broken, key="nagano")
    found = re.search(message, str(caught.value))
    assert found, str(caught.value)
    line = int(found.group(1))
    if line > 1:  # the line named is the one of the mistake (or its entry's header)
        named = broken.splitlines()[line - 1]
        assert any(word in named for word in ("colour", "kaizen", "Village", "[[lecture_menus]]",
                                              "nagano/themes", "themse", "suport")), named
