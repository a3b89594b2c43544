"""One search rule for every entry point: the liaison's queue page and the API find the same
requests for the same words, with width, case and kana folded (services.search owns the rule)."""
import pytest

from supportdesk.services.requests.search import normalise_for_search
from tests.factories import make_liaison, make_request, make_staff
from tests.test_api import bearer

TITLE = "カイゼンＤＸ講座の相談"


@pytest.fixture
def world(app):
    liaison = make_liaison("西播磨")
    staff = make_staff("佐用町")
    sreq = make_request(staff, title=TITLE, body="窓口業務の改善")
    other = make_request(staff, title="電子申請の相談", body="フォームの作り方")
    return dict(liaison=liaison, staff=staff, sreq=sreq, other=other)


def _queue_ids(client, q):
    html = client.get("/queue/", query_string={"q": q}).get_data(as_text=True)
    return html


def _api_ids(client, headers, q):
    resp = client.get("/api/v1/requests", headers=headers, query_string={"q": q})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return {r["id"] for r in resp.get_json()["items"]}


@pytest.mark.parametrize("q", ["かいぜん", "カイゼン", "ｶｲｾﾞﾝ", "dx", "ＤＸ", "Dx講座"])
def test_queue_and_api_find_the_same_request_for_folded_words(world, client, login_as, q):
    login_as(world["liaison"])
    page = _queue_ids(client, q)
    assert TITLE in page and "電子申請の相談" not in page
    assert _api_ids(client, bearer(world["liaison"]), q) == {world["sreq"].id}


def test_a_request_number_always_finds_its_request(world, client, login_as):
    number = world["sreq"].number
    login_as(world["liaison"])
    for q in (number, number.lower(), number.replace("R", "Ｒ")):
        assert TITLE in _queue_ids(client, q)
        assert _api_ids(client, bearer(world["liaison"]), q) == {world["sreq"].id}


def _spellings(number, seq):
    """How people type a number: R8-0001, r8-1, Ｒ８－０００１, R8-01, a long dash, ｰ."""
    era = number.split("-")[0]
    full = number.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    return [number, f"{era.lower()}-{seq}", full, f"{era}-{seq:02d}", f"{era}−{seq:04d}",
            f"{era}ｰ{seq}", f" {number.lower()} "]


def test_a_request_number_finds_its_request_however_it_is_typed(world, client, login_as):
    login_as(world["liaison"])
    headers = bearer(world["liaison"])
    for sreq, title, not_title in ((world["sreq"], TITLE, "電子申請の相談"),
                                   (world["other"], "電子申請の相談", TITLE)):
        for q in _spellings(sreq.number, sreq.seq):
            page = _queue_ids(client, q)
            assert title in page and not_title not in page, q
            assert _api_ids(client, headers, q) == {sreq.id}, q


def test_a_short_number_does_not_find_longer_numbers_that_start_like_it(world, client, login_as):
    """r8-1 is R8-0001, not every number whose text contains "r8-1" (R8-1000...)."""
    from supportdesk.extensions import db

    world["other"].number = world["sreq"].number.split("-")[0] + f"-{world['sreq'].seq}234"
    from supportdesk.services.requests.search import refresh_search_text

    refresh_search_text(world["other"])
    db.session.commit()
    login_as(world["liaison"])
    q = world["sreq"].number.split("-")[0].lower() + f"-{world['sreq'].seq}"
    assert _api_ids(client, bearer(world["liaison"]), q) == {world["sreq"].id}
    page = _queue_ids(client, q)
    assert TITLE in page and "電子申請の相談" not in page


def test_the_rule_itself():
    assert normalise_for_search("ｶｲｾﾞﾝ ＤＸ ヴァ ヶ月 ー") == "かいぜん dx ゔぁ ゖ月 ー"
