"""Round pages: coverage by role, recording a round through the form, the push-lecture button,
editing a region's cycle, and who is refused."""
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Region, RoundRecord, SupportRequest
from supportdesk.services.visits import rounds as svc
from supportdesk.timeutil import JST, utcnow
from tests.factories import (make_department, make_expert, make_liaison,
                             make_staff, make_user, municipality, region)


def today_jst():
    return utcnow().astimezone(JST).date()


def post_round(client, code, **overrides):
    data = {"held_on": (today_jst() - timedelta(days=1)).isoformat(), "start_time": "10:00",
            "end_time": "11:30", "progress": "生成AIの試行を開始", "issues": "職員研修が不足\n予算",
            "departments": [make_department("デジタル改革課").id,
                            make_department("市町振興課").id]}
    data.update(overrides)
    return client.post(f"/rounds/municipalities/{code}/record", data=data)


def test_liaison_sees_coverage_of_their_regions_only(app, client, login_as):
    login_as(make_liaison("西播磨"))
    page = client.get("/rounds/").get_data(as_text=True)
    assert 'data-region="西播磨"' in page and 'data-region="但馬"' not in page
    assert "0 / 7" in page
    assert client.get(f"/rounds/regions/{region('但馬').id}").status_code == 404


def test_manager_sees_all_regions_but_cannot_record(app, client, login_as):
    login_as(make_user("manager"))
    page = client.get("/rounds/").get_data(as_text=True)
    assert page.count("data-region=") == 9 and 'data-region="神戸"' not in page
    assert client.get(f"/rounds/regions/{region('但馬').id}").status_code == 200
    assert client.get(f"/rounds/municipalities/{municipality('佐用町').code}/record").status_code == 403


def test_staff_and_experts_are_refused(app, client, login_as):
    for user in (make_staff("佐用町"), make_expert()):
        login_as(user)
        assert client.get("/rounds/").status_code == 403
        assert client.get(f"/rounds/regions/{region('西播磨').id}").status_code == 403


def test_nav_shows_rounds_to_liaisons_and_managers(app, client, login_as):
    login_as(make_liaison("西播磨"))
    assert "定期巡回" in client.get("/municipalities/").get_data(as_text=True)
    login_as(make_staff("佐用町"))
    assert "定期巡回" not in client.get(f"/municipalities/{municipality('佐用町').code}")\
        .get_data(as_text=True)


def test_record_a_round_through_the_form(app, client, login_as):
    liaison = make_liaison("西播磨")
    login_as(liaison)
    code = municipality("佐用町").code
    resp = post_round(client, code)
    assert resp.status_code == 302
    rec = db.session.scalar(sa.select(RoundRecord))
    assert resp.headers["Location"].endswith(f"/rounds/records/{rec.id}")
    assert [d.name for d in rec.departments] == ["デジタル改革課", "市町振興課"]
    assert rec.visit.state == "held" and rec.visit.kind == "round"
    page = client.get(f"/rounds/regions/{region('西播磨').id}").get_data(as_text=True)
    assert 'data-municipality="佐用町" data-status="visited"' in page
    assert "1 / 7" in page
    page = client.get(f"/municipalities/{code}").get_data(as_text=True)
    assert "生成AIの試行を開始" in page


def test_future_date_is_refused_next_to_the_field(app, client, login_as):
    login_as(make_liaison("西播磨"))
    future = (today_jst() + timedelta(days=3)).isoformat()
    resp = post_round(client, municipality("佐用町").code, held_on=future)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "未来の日時は指定できません" in page and f'value="{future}"' in page
    assert "生成AIの試行を開始" in page  # the typed text is kept
    assert db.session.scalar(sa.select(sa.func.count(RoundRecord.id))) == 0


def test_liaison_of_another_region_cannot_record(app, client, login_as):
    login_as(make_liaison("但馬"))
    assert post_round(client, municipality("佐用町").code).status_code == 404
    assert client.get(f"/rounds/municipalities/{municipality('神戸市').code}/record").status_code == 404


def test_propose_push_lecture_from_the_record_page(app, client, login_as):
    liaison = make_liaison("西播磨")
    login_as(liaison)
    post_round(client, municipality("赤穂市").code)
    rec = db.session.scalar(sa.select(RoundRecord))
    page = client.get(f"/rounds/records/{rec.id}").get_data(as_text=True)
    assert 'value="プッシュ型出前講座: 職員研修が不足"' in page
    resp = client.post(f"/rounds/records/{rec.id}/propose",
                       data={"title": "プッシュ型出前講座: 職員研修が不足"})
    assert resp.status_code == 302
    sreq = db.session.scalar(sa.select(SupportRequest))
    assert (sreq.origin, sreq.kind, sreq.filer_id) == ("push", "lecture", liaison.id)
    db.session.expire_all()
    assert db.session.get(RoundRecord, rec.id).proposed_request_id == sreq.id
    page = client.get(f"/rounds/records/{rec.id}").get_data(as_text=True)
    assert 'data-testid="proposal"' in page
    # A second proposal from the same record is refused.
    resp = client.post(f"/rounds/records/{rec.id}/propose", data={"title": "もう一度"})
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(SupportRequest.id))) == 1


def test_manager_cannot_propose(app, client, login_as):
    liaison = make_liaison("西播磨")
    rec = svc.record_round(liaison, municipality("佐用町"), held_on=date(2026, 5, 1),
                           start_time=datetime(2026, 5, 1, 10).time(),
                           end_time=datetime(2026, 5, 1, 11).time(), progress="p", issues="i",
                           now=datetime(2026, 5, 2, tzinfo=JST))
    db.session.commit()
    login_as(make_user("manager"))
    assert client.get(f"/rounds/records/{rec.id}").status_code == 200
    assert client.post(f"/rounds/records/{rec.id}/propose", data={"title": "x"}).status_code == 403


def test_region_liaison_and_admin_edit_the_cycle(app, client, login_as):
    west = region("西播磨")
    login_as(make_liaison("西播磨"))
    resp = client.post(f"/rounds/regions/{west.id}/plan", data={"months": "6"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Region, west.id).round_cycle_months == 6
    resp = client.post(f"/rounds/regions/{west.id}/plan", data={"months": "5"})
    assert resp.status_code == 200 and 'class="error"' in resp.get_data(as_text=True)
    page = client.get(f"/rounds/regions/{west.id}/plan").get_data(as_text=True)
    assert '<option selected value="6">' in page
    assert client.get(f"/rounds/regions/{region('但馬').id}/plan").status_code == 404
    login_as(make_user("admin"))
    assert client.post(f"/rounds/regions/{west.id}/plan", data={"months": "3"}).status_code == 302
    login_as(make_user("manager"))
    assert client.get(f"/rounds/regions/{west.id}/plan").status_code == 404


def test_demo_seed_adds_rounds_once(app, runner):
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    assert "seed_demo_rounds: 3" in result.output
    assert runner.invoke(args=["seed", "--demo"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(RoundRecord.id))) == 3
    # Two departments (round findings shared with them, each told once) and planned rounds.
    from supportdesk.models import Department, OutboxMessage, PlannedRound

    assert sorted(db.session.scalars(sa.select(Department.name))) == ["デジタル改革課", "市町振興課"]
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
        OutboxMessage.event_type == "round.findings_shared")) == 3
    assert db.session.scalar(sa.select(sa.func.count(PlannedRound.id))) == 2
