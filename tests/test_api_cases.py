"""/api/v1/cases: the case library (事例) for everyone who may see it, added by liaisons; the
source request named only to those who may see it; cursor pagination; problem+json."""
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Case
from supportdesk.services.cases import save_case
from tests.factories import (advance_request, make_expert, make_liaison, make_request, make_staff,
                             make_user)
from tests.test_api import assert_problem, bearer


def case_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


def add_case(liaison, title, **values):
    values.setdefault("organisation", "佐用町")
    values.setdefault("summary", "概要")
    case = save_case(liaison, title=title, **values)
    db.session.commit()
    return case


def test_everyone_who_sees_the_library_reads_it(client, app):
    liaison = make_liaison()
    case = add_case(liaison, "窓口のオンライン化ZQ")
    for user in (make_staff(), make_expert(), make_user("manager"), make_user("admin"), liaison):
        items = client.get("/api/v1/cases?limit=1", headers=bearer(user)).get_json()["items"]
        assert [c["title"] for c in items] == ["窓口のオンライン化ZQ"]  # newest first
        one = client.get(f"/api/v1/cases/{case.id}", headers=bearer(user))
        assert one.status_code == 200 and one.get_json()["organisation"] == "佐用町"
    assert_problem(client.get("/api/v1/cases/999999", headers=bearer(liaison)), 404)


def test_search_words_theme_and_cursor_pages(client, app):
    liaison = make_liaison()
    for n in range(5):
        add_case(liaison, f"事例{n} XQW" if n % 2 else f"事例{n} 朔XQV")
    add_case(liaison, "テーマ付き 朔XQV", theme_id=db.session.scalar(
        sa.text("SELECT id FROM themes WHERE code = 'kaizen_nocode'")))
    headers = bearer(make_staff())
    # NFKC: full-width letters typed find the half-width ones.
    hits = client.get("/api/v1/cases?q=ｘｑｗ", headers=headers).get_json()["items"]
    assert sorted(c["title"] for c in hits) == ["事例1 XQW", "事例3 XQW"]
    themed = client.get("/api/v1/cases?theme=kaizen_nocode&q=XQV",
                        headers=headers).get_json()["items"]
    assert [c["title"] for c in themed] == ["テーマ付き 朔XQV"]
    assert themed[0]["theme"] == "kaizen_nocode"
    seen, url = [], "/api/v1/cases?limit=2&q=%E6%9C%94"
    while url:
        page = client.get(url, headers=headers).get_json()
        seen += [c["id"] for c in page["items"]]
        url = (f"/api/v1/cases?limit=2&q=%E6%9C%94&cursor={page['next_cursor']}"
               if page["next_cursor"] else None)
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 4
    assert_problem(client.get("/api/v1/cases?cursor=!!", headers=headers), 400)
    assert_problem(client.get("/api/v1/cases?limit=0", headers=headers), 422)
    assert_problem(client.get("/api/v1/cases?q=%00", headers=headers), 422)


def test_liaisons_add_cases_others_get_403(client, app):
    liaison = make_liaison()
    body = {"title": "AI議事録", "organisation": "たつの市", "summary": "会議録の作成を自動化",
            "theme": "kaizen_nocode", "url": "https://example.jp/case"}
    resp = client.post("/api/v1/cases", json=body, headers=bearer(liaison, "write"))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    out = resp.get_json()
    assert out["theme"] == "kaizen_nocode"
    assert resp.headers["Location"] == f"/api/v1/cases/{out['id']}"
    assert db.session.get(Case, out["id"]).created_by_id == liaison.id
    for other in (make_staff(), make_expert(), make_user("manager")):
        assert_problem(client.post("/api/v1/cases", json=body, headers=bearer(other, "write")), 403)
    before = case_count()
    assert_problem(client.post("/api/v1/cases", json=body, headers=bearer(liaison, "read")), 403)
    assert case_count() == before


def test_bad_case_input_names_the_field_and_saves_nothing(client, app):
    headers = bearer(make_liaison(), "write")
    before = case_count()
    base = {"title": "t", "organisation": "o", "summary": "s"}
    for extra, field in (({"url": "ftp://x"}, "url"), ({"theme": "nosuch"}, "theme"),
                         ({"title": ""}, "title"), ({"from_request_id": 999999}, "from_request_id"),
                         ({"colour": "red"}, "colour")):
        body = assert_problem(client.post("/api/v1/cases", json={**base, **extra},
                                          headers=headers), 422)
        assert [e["field"] for e in body["errors"]] == [field], extra
    assert_problem(client.post("/api/v1/cases", data="x", headers=headers), 400)
    assert case_count() == before


def test_source_request_is_named_only_to_those_who_see_it(client, app):
    liaison = make_liaison()
    sreq = advance_request(make_request(make_staff("佐用町")), "closed", liaison)
    resp = client.post("/api/v1/cases", json={"title": "t", "organisation": "佐用町", "summary": "s",
                                              "from_request_id": sreq.id},
                       headers=bearer(liaison, "write"))
    case_id = resp.get_json()["id"]
    assert resp.get_json()["from_request_id"] == sreq.id
    sayo = client.get(f"/api/v1/cases/{case_id}", headers=bearer(make_staff("佐用町"))).get_json()
    other = client.get(f"/api/v1/cases/{case_id}", headers=bearer(make_staff("豊岡市"))).get_json()
    assert sayo["from_request_id"] == sreq.id and other["from_request_id"] is None
    # A request another municipality's staff cannot see is refused like a missing one.
    open_one = make_request(make_staff("豊岡市"))
    refused = client.post("/api/v1/cases", json={"title": "t", "organisation": "o", "summary": "s",
                                                 "from_request_id": open_one.id},
                          headers=bearer(liaison, "write"))
    assert assert_problem(refused, 422)["errors"][0]["field"] == "title"  # not closed yet
