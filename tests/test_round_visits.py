"""A round visit (定期巡回) is written up in its 巡回記録, never in a 実施記録: the visit page links
the round record (or the form that attaches one to the visit), and the visit-record route and
service turn round visits away."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RoundRecord, Visit, VisitRecord
from supportdesk.services.visits import rounds as rounds_svc
from supportdesk.services.visits.lifecycle import InvalidVisitTransition, create_visit, record_visit
from supportdesk.timeutil import JST, utcnow
from tests.factories import make_expert, make_liaison, make_staff, municipality
from tests.test_api import assert_problem, bearer


def scheduled_round(liaison, name="佐用町", *, days_ago=1, attendees=(), confirm=True):
    """A round visit planned a week ahead, held 10:00-11:00 (Tokyo) `days_ago` days ago: a fixed
    time of day, so that the 90-minute record form never crosses midnight whenever CI runs."""
    day = (utcnow().astimezone(JST) - timedelta(days=days_ago)).date()
    start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=JST)
    visit = create_visit(liaison, kind="round", title=f"定期巡回({name})", starts_at=start,
                         ends_at=start + timedelta(hours=1), municipalities=[municipality(name)],
                         attendees=list(attendees), confirm=confirm,
                         now=start - timedelta(days=7))
    db.session.commit()
    return visit


def round_form(visit, **overrides):
    start = visit.starts_at.astimezone(JST)
    data = {"held_on": start.date().isoformat(), "start_time": start.strftime("%H:%M"),
            "end_time": (start + timedelta(minutes=90)).strftime("%H:%M"),
            "progress": "RPAの効果測定を開始", "issues": "研修の時間が取れない"}
    data.update(overrides)
    return data


def test_scheduled_round_is_recorded_in_its_round_record(app, client, login_as):
    liaison = make_liaison("西播磨")
    visit = scheduled_round(liaison)
    code = municipality("佐用町").code
    login_as(liaison)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "実施記録を書く" not in page and f"/visits/{visit.id}/record" not in page
    assert "巡回記録を書く" in page
    form_url = f"/rounds/municipalities/{code}/record?visit={visit.id}"
    assert form_url in page.replace("&amp;", "&")
    # The record form starts from the visit's planned date and times.
    form_page = client.get(form_url).get_data(as_text=True)
    start = visit.starts_at.astimezone(JST)
    assert f'value="{start.date().isoformat()}"' in form_page
    assert f'value="{start:%H:%M}"' in form_page and visit.title in form_page

    visits_before = db.session.scalar(sa.select(sa.func.count()).select_from(Visit))
    resp = client.post(form_url, data=round_form(visit))
    assert resp.status_code == 302
    rec = db.session.scalar(sa.select(RoundRecord))
    assert resp.headers["Location"].endswith(f"/rounds/records/{rec.id}")
    db.session.expire_all()
    # The record attaches to the scheduled visit; no second visit appears.
    assert rec.visit_id == visit.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == visits_before
    visit = db.session.get(Visit, visit.id)
    assert visit.state == "held"
    assert (visit.ends_at - visit.starts_at) == timedelta(minutes=90)
    # It counts as this cycle's round.
    assert rounds_svc.last_round_dates([municipality("佐用町").id], utcnow())

    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f'href="/rounds/records/{rec.id}"' in page and "巡回記録を見る" in page
    assert "巡回記録を書く" not in page and "実施記録を" not in page
    # The round record page links back to its visit.
    assert f'href="/visits/{visit.id}"' in client.get(f"/rounds/records/{rec.id}").get_data(
        as_text=True)
    # Asking for the form again goes to the existing record instead of a second one.
    resp = client.get(form_url)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/rounds/records/{rec.id}")


def test_visit_record_route_sends_round_visits_to_the_round_record(app, client, login_as):
    liaison = make_liaison("西播磨")
    visit = scheduled_round(liaison)
    code = municipality("佐用町").code
    login_as(liaison)
    resp = client.get(f"/visits/{visit.id}/record")
    assert resp.status_code == 302
    form_url = f"/rounds/municipalities/{code}/record?visit={visit.id}"
    assert resp.headers["Location"].endswith(form_url)
    # A posted visit record is not saved either.
    resp = client.post(f"/visits/{visit.id}/record", data={"covered": "実施内容"})
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(VisitRecord)) is None
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "定期巡回の記録は巡回記録に書きます。" in page

    client.post(form_url, data=round_form(visit))
    rec = db.session.scalar(sa.select(RoundRecord))
    resp = client.get(f"/visits/{visit.id}/record")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/rounds/records/{rec.id}")


def test_round_recorded_from_the_municipality_links_from_its_visit(app, client, login_as):
    liaison = make_liaison("西播磨")
    now = utcnow()
    rec = rounds_svc.record_round(liaison, municipality("佐用町"),
                                  held_on=(now - timedelta(days=2)).astimezone(JST).date(),
                                  start_time=rounds_svc.default_times()[0],
                                  end_time=rounds_svc.default_times()[1],
                                  progress="取組状況", issues="", now=now)
    db.session.commit()
    login_as(liaison)
    page = client.get(f"/visits/{rec.visit_id}").get_data(as_text=True)
    assert f'href="/rounds/records/{rec.id}"' in page
    assert "実施記録を" not in page and "巡回記録を書く" not in page
    # The municipality's staff see the visit, not the prefecture-side round record.
    login_as(make_staff("佐用町"))
    page = client.get(f"/visits/{rec.visit_id}").get_data(as_text=True)
    assert client.get(f"/visits/{rec.visit_id}").status_code == 200
    assert "/rounds/records/" not in page


def test_attending_expert_is_told_rounds_are_recorded_by_liaisons(app, client, login_as):
    liaison, expert = make_liaison("西播磨"), make_expert()
    visit = scheduled_round(liaison, attendees=[expert])
    login_as(expert)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "実施記録を書く" not in page and "巡回記録を書く" not in page
    resp = client.get(f"/visits/{visit.id}/record", follow_redirects=True)
    assert resp.request.path == f"/visits/{visit.id}"
    assert "定期巡回の訪問には実施記録ではなく巡回記録を書きます。" in resp.get_data(as_text=True)


def test_record_visit_service_and_api_refuse_round_visits(app, client):
    liaison = make_liaison("西播磨")
    visit = scheduled_round(liaison)
    with pytest.raises(InvalidVisitTransition):
        record_visit(visit, liaison, covered="実施内容")
    db.session.rollback()
    assert_problem(client.post(f"/api/v1/visits/{visit.id}/record", json={"covered": "x"},
                               headers=bearer(liaison, "write")), 409)
    assert db.session.get(Visit, visit.id).state == "confirmed"


def test_future_or_cancelled_round_visits_offer_no_round_record(app, client, login_as):
    liaison = make_liaison("西播磨")
    future = scheduled_round(liaison, days_ago=-3)
    login_as(liaison)
    assert "巡回記録を書く" not in client.get(f"/visits/{future.id}").get_data(as_text=True)
    cancelled = scheduled_round(liaison, "宍粟市")
    client.post(f"/visits/{cancelled.id}/cancel", data={"reason": "台風のため"})
    assert db.session.get(Visit, cancelled.id).state == "cancelled"
    assert "巡回記録を書く" not in client.get(f"/visits/{cancelled.id}").get_data(as_text=True)
    code = municipality("宍粟市").code
    page = client.post(f"/rounds/municipalities/{code}/record?visit={cancelled.id}",
                       data=round_form(cancelled), follow_redirects=True).get_data(as_text=True)
    assert "中止・延期した訪問には巡回記録を書けません。" in page
    assert db.session.scalar(sa.select(RoundRecord)) is None


def test_round_visit_outside_the_round_plan_keeps_the_visit_record(app, client, login_as):
    """神戸市 has no round plan (no 巡回記録 possible there): its round visit keeps 実施記録."""
    liaison = make_liaison("西播磨", central=True)
    visit = scheduled_round(liaison, "神戸市")
    login_as(liaison)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "実施記録を書く" in page and "巡回記録を書く" not in page
    assert client.get(f"/visits/{visit.id}/record").status_code == 200
