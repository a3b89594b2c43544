"""Closing an engagement records a structured outcome (目標の達成度, what was put in place, what
follows) through the page, and the monthly and fiscal-year reports count closings by 達成度."""
import re

import pytest

from supportdesk.extensions import db
from supportdesk.models import Engagement
from supportdesk.services.visits.engagements import create_engagement
from supportdesk.timeutil import JST, fiscal_year, utcnow
from tests.factories import make_liaison, make_user, municipality


@pytest.fixture
def engagements(app):
    liaison = make_liaison("西播磨")
    made = [create_engagement(liaison, municipality=municipality(name), title=f"伴走 {name}",
                              goal="3業務を自動化") for name in ("佐用町", "上郡町", "たつの市")]
    db.session.commit()
    return liaison, made


def close(client, eng, **data):
    return client.post(f"/visits/engagements/{eng.id}/close", data=data)


def field_errors(page, name):
    block = page[page.index(f'id="{name}"'):]
    return re.findall(r'<p class="error" id="' + name + r'-error">([^<]+)</p>', block)[:1]


def test_closing_without_an_achievement_shows_the_error_and_keeps_the_text(engagements, client,
                                                                            login_as):
    liaison, (eng, *_) = engagements
    login_as(liaison)
    resp = close(client, eng, put_in_place="RPAで給与明細の配布を自動化", next_steps="来年度に横展開")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert field_errors(page, "achievement") == ["目標の達成度を選んでください。"]
    assert "RPAで給与明細の配布を自動化" in page and "来年度に横展開" in page
    db.session.expire_all()
    assert db.session.get(Engagement, eng.id).state == "active"


def test_achieved_needs_what_was_put_in_place(engagements, client, login_as):
    liaison, (eng, *_) = engagements
    login_as(liaison)
    resp = close(client, eng, achievement="achieved", next_steps="来年度に横展開")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert field_errors(page, "put_in_place") == ["導入したものを入力してください。"]
    assert re.search(r'<input checked[^>]*value="achieved"', page)  # the choice is kept
    # An unknown 達成度 is refused beside the field too.
    resp = close(client, eng, achievement="great", put_in_place="x")
    assert resp.status_code == 422 and field_errors(resp.get_data(as_text=True), "achievement")


def test_a_stopped_engagement_closes_without_results_and_shows_its_outcome(engagements, client,
                                                                           login_as):
    liaison, (eng, *_) = engagements
    login_as(liaison)
    resp = close(client, eng, achievement="stopped", next_steps="体制が整った後に再開を相談",
                 outcome="担当者の異動のため")
    assert resp.status_code == 302
    page = client.get(f"/visits/engagements/{eng.id}").get_data(as_text=True)
    assert "中止" in page and "体制が整った後に再開を相談" in page and "担当者の異動のため" in page
    db.session.expire_all()
    eng = db.session.get(Engagement, eng.id)
    assert (eng.state, eng.achievement, eng.put_in_place) == ("closed", "stopped", None)


def test_reports_count_closed_engagements_by_achievement(engagements, client, login_as):
    liaison, (e1, e2, e3) = engagements
    login_as(liaison)
    assert close(client, e1, achievement="achieved", put_in_place="RPA").status_code == 302
    assert close(client, e2, achievement="achieved", put_in_place="電子申請").status_code == 302
    assert close(client, e3, achievement="partly", put_in_place="チャット",
                 next_steps="残りの課に展開").status_code == 302
    login_as(make_user("manager"))
    today = utcnow().astimezone(JST).date()
    page = client.get(f"/reports/monthly/{today:%Y-%m}").get_data(as_text=True)

    def value(label):
        row = re.search(r'<th scope="row">' + re.escape(label) + r'</th>\s*<td class="num">(\d+)',
                        page)
        return int(row.group(1)) if row else None

    assert value("今月終了した伴走支援(達成)") == 2
    assert value("今月終了した伴走支援(一部達成)") == 1
    assert value("今月終了した伴走支援(未達成)") == 0
    assert value("今月終了した伴走支援(中止)") == 0
    fy = client.get(f"/reports/fiscal/{fiscal_year(today)}").get_data(as_text=True)
    table = fy[fy.index('data-testid="fy-compare"'):]
    assert '終了した伴走支援(達成)</th><td class="num">2</td><td class="num">0</td>' in table
    assert '終了した伴走支援(一部達成)</th><td class="num">1</td>' in table
