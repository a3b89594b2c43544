"""The case library: the seeded casebook cases, search (Japanese substrings), add/edit, cases from
closed requests and case introductions on a request."""
import csv
from importlib import resources

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Case, RequestEvent, SupportAction, User
from supportdesk.services.cases import search_cases, seed_cases
from tests.factories import advance_request, make_liaison, make_request, make_staff


def _csv_rows():
    text = resources.files("supportdesk.data").joinpath("cases.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


def test_seed_cases_loads_the_casebooks_and_is_idempotent(app):
    rows = _csv_rows()
    assert len(rows) >= 30
    assert _count() == len(rows)  # loaded with the reference data
    assert seed_cases() == 0
    assert _count() == len(rows)
    sources = {r["source"] for r in rows}
    assert any("自治体DX推進参考事例集" in s for s in sources)
    assert any("市町DX支援パッケージ" in s for s in sources)
    kumamoto = db.session.scalar(sa.select(Case).where(Case.organisation == "熊本県"))
    assert kumamoto.theme is not None and kumamoto.summary


def test_search_finds_japanese_substrings_and_filters_by_theme(app):
    titles = lambda rows: {c.title for c in rows}  # noqa: E731
    rows, more = search_cases("漏水")
    assert titles(rows) == {"衛星画像のAI解析による広域漏水調査"} and not more
    # A word in the middle of the summary, no word spaces around it.
    rows, _ = search_cases("週1日")
    assert {c.organisation for c in rows} == {"熊本県"}
    # Full-width letters typed in the box find the half-width text.
    rows, _ = search_cases("ＧＩＳ")
    assert any("かみさとオープンGIS" in c.title for c in rows)
    # Several words narrow the result; organisation is searched too.
    rows, _ = search_cases("神戸市 おくやみ")
    assert titles(rows) == {"スマート化ロードマップ(おくやみワンストップ・窓口スマート化)"}
    rows, _ = search_cases(None, "chatbot")
    assert titles(rows) == {"AIチャットボットの共同調達スキーム"}
    rows, _ = search_cases("100%_")
    assert rows == []  # LIKE wildcards are taken literally


def test_case_pages_for_staff_and_liaisons(app, client, login_as):
    staff = make_staff("佐用町")
    login_as(staff)
    page = client.get("/cases/?q=漏水")
    assert page.status_code == 200 and "広域漏水調査" in page.get_data(as_text=True)
    case = db.session.scalar(sa.select(Case).where(Case.title.contains("漏水")))
    assert "デジ田交付金" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert client.get("/cases/new").status_code == 403
    liaison = make_liaison("西播磨")
    login_as(liaison)
    resp = client.post("/cases/new", data={"title": "", "organisation": "兵庫県宍粟市",
                                          "summary": "GISの公開", "theme_id": 0})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "タイトルを入力してください。" in body
    assert "兵庫県宍粟市" in body  # the typed value is kept
    resp = client.post("/cases/new", data={"title": "宍粟市のGIS公開", "organisation": "兵庫県宍粟市",
                                          "summary": "GISの公開", "theme_id": 0,
                                          "url": "javascript:alert(1)"})
    assert "URLは http:// または https:// で始めてください。" in resp.get_data(as_text=True)
    resp = client.post("/cases/new", data={"title": "宍粟市のGIS公開", "organisation": "兵庫県宍粟市",
                                          "summary": "GISの公開", "theme_id": 0})
    assert resp.status_code == 302
    new = db.session.scalar(sa.select(Case).where(Case.title == "宍粟市のGIS公開"))
    assert new.created_by_id == liaison.id
    resp = client.post(f"/cases/{new.id}/edit", data={"title": "宍粟市のGIS公開(改)",
                                                      "organisation": "兵庫県宍粟市",
                                                      "summary": "GISの公開", "theme_id": 0})
    assert resp.status_code == 302
    db.session.expire_all()
    assert new.title == "宍粟市のGIS公開(改)"


def test_case_from_a_closed_request_only(app, client, login_as):
    liaison = make_liaison("西播磨")
    closed = make_request(municipality_name="佐用町", title="生成AIガイドラインの策定", body="庁内ルールを整理した。",
                          themes=("generative_ai",))
    advance_request(closed, "closed", liaison)
    open_one = make_request(municipality_name="佐用町")
    login_as(liaison)
    form = client.get(f"/cases/new?from_request={closed.id}").get_data(as_text=True)
    assert "生成AIガイドラインの策定" in form and "庁内ルールを整理した。" in form
    resp = client.post("/cases/new", data={"title": "生成AIガイドラインの策定", "organisation": "佐用町",
                                          "summary": "庁内ルールを整理した。", "theme_id": 0,
                                          "from_request_id": str(closed.id)})
    assert resp.status_code == 302
    case = db.session.scalar(sa.select(Case).where(Case.from_request_id == closed.id))
    assert case is not None
    resp = client.get(f"/cases/new?from_request={open_one.id}", follow_redirects=True)
    assert "事例にできるのは完了した依頼だけです。" in resp.get_data(as_text=True)


def test_introducing_a_case_records_a_support_action(app, client, login_as):
    liaison = make_liaison("西播磨")
    sreq = make_request(municipality_name="佐用町")
    advance_request(sreq, "triage", liaison)
    case = db.session.scalar(sa.select(Case).where(Case.organisation == "福井県あわら市"))
    staff = db.session.get(User, sreq.filer_id)
    login_as(staff)
    assert client.post(f"/requests/{sreq.id}/cases", data={"case_id": case.id}).status_code == 404
    login_as(liaison)
    resp = client.post(f"/requests/{sreq.id}/cases", data={"case_id": case.id, "note": "参考に"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/requests/{sreq.id}")
    action = db.session.scalar(sa.select(SupportAction))
    assert (action.kind, action.case_id, action.request_id) == ("case", case.id, sreq.id)
    event = db.session.scalar(sa.select(RequestEvent).where(RequestEvent.kind == "action"))
    assert event.data["case_id"] == case.id and not event.internal


def test_a_closed_request_page_offers_make_a_case_to_liaisons_only(app, client, login_as):
    from tests.factories import make_request

    liaison = make_liaison("西播磨")
    staff = make_staff("佐用町")
    closed = advance_request(make_request(staff, title="完了した相談"), "closed", liaison)
    open_one = make_request(staff, title="受付中の相談")
    link = f'href="/cases/new?from_request={closed.id}"'
    login_as(liaison)
    page = client.get(f"/requests/{closed.id}").get_data(as_text=True)
    assert link in page and "事例にする" in page
    assert "事例にする" not in client.get(f"/requests/{open_one.id}").get_data(as_text=True)
    assert client.get(f"/cases/new?from_request={closed.id}").status_code == 200  # it leads on
    login_as(staff)
    page = client.get(f"/requests/{closed.id}").get_data(as_text=True)
    assert closed.number in page and "事例にする" not in page and "from_request" not in page
