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


def test_the_rule_itself():
    assert normalise_for_search("ｶｲｾﾞﾝ ＤＸ ヴァ ヶ月 ー") == "かいぜん dx ゔぁ ゖ月 ー"
