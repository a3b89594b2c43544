"""Where requests meet visits: the request page's visit links and list, follow-up requests."""
import re
from datetime import datetime, timedelta

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RequestEvent, SupportRequest
from supportdesk.services.visits.engagements import open_followup_request
from supportdesk.services.visits.lifecycle import create_visit, record_visit, schedule_from_candidate
from supportdesk.timeutil import JST
from tests.factories import (advance_request, make_expert, make_liaison, make_request, make_staff,
                             make_user, municipality)

NOW = datetime(2025, 11, 10, 10, 0, tzinfo=JST)  # 令和7年度
DAY1 = datetime(2025, 11, 20, 14, 0, tzinfo=JST)
DAY2 = datetime(2025, 11, 27, 14, 0, tzinfo=JST)


def lecture(filer, **fields):
    """A lecture filed and submitted through the filing service, with two candidate dates."""
    fields.setdefault("candidate_dates", [(DAY1, DAY1 + timedelta(hours=3)),
                                          (DAY2, DAY2 + timedelta(hours=3))])
    return make_request(filer, "lecture", title="カイゼンDX講座", now=NOW, **fields)


def taken(sreq, liaison):
    """The lecture taken by a liaison (調整中): only then may its visit be confirmed."""
    return advance_request(sreq, "triage", liaison, now=NOW)


def page(client, login_as, user, sreq):
    login_as(user)
    resp = client.get(f"/requests/{sreq.id}")
    return resp.status_code, resp.get_data(as_text=True)


def test_schedule_and_engagement_links_only_for_liaisons(app, client, login_as):
    staff = make_staff("佐用町")
    sreq = lecture(staff)
    liaison = make_liaison()
    # 受付: no liaison has taken it yet, so there is no date to confirm.
    status, html = page(client, login_as, liaison, sreq)
    assert status == 200 and "schedule-lecture" not in html
    taken(sreq, liaison)
    status, html = page(client, login_as, liaison, sreq)
    assert status == 200
    assert f'href="/visits/schedule/{sreq.id}"' in html and 'data-testid="schedule-lecture"' in html
    assert f'href="/visits/engagements/new?request_id={sreq.id}"' in html
    assert client.get(f"/visits/schedule/{sreq.id}").status_code == 200
    for user in (staff, make_user("manager"), make_user("admin")):
        status, html = page(client, login_as, user, sreq)
        assert status == 200, user.role
        assert "/visits/schedule/" not in html and "schedule-lecture" not in html, user.role
        assert "/visits/engagements/new" not in html, user.role
    # Once a date is confirmed the lecture is 日程確定: nothing left to schedule.
    schedule_from_candidate(sreq, sreq.candidate_dates[0], liaison, now=NOW)
    db.session.commit()
    assert sreq.state == "scheduled"
    status, html = page(client, login_as, liaison, sreq)
    assert "schedule-lecture" not in html and "open-engagement" in html


def test_consultation_offers_no_schedule_link(app, client, login_as):
    sreq = make_request(make_staff("佐用町"), "consultation", now=NOW)
    status, html = page(client, login_as, make_liaison(), sreq)
    assert status == 200 and "schedule-lecture" not in html and "open-engagement" in html


def test_request_page_lists_visits_for_the_right_people(app, client, login_as):
    sayo, shiso = make_staff("佐用町"), make_staff("宍粟市")
    sreq = lecture(sayo, co_municipality_ids=[municipality("宍粟市").id])
    liaison, expert, other_expert = make_liaison(), make_expert(), make_expert()
    taken(sreq, liaison)
    joint = schedule_from_candidate(sreq, sreq.candidate_dates[0], liaison, attendees=[expert],
                                    title="合同講座の当日", now=NOW)
    # A preparatory visit serving the same request, at 佐用町 only.
    prep = create_visit(liaison, kind="meeting", title="佐用町だけの事前打合せ",
                        starts_at=DAY1 - timedelta(days=3),
                        ends_at=DAY1 - timedelta(days=3, hours=-1),
                        municipalities=[municipality("佐用町")], sreq=sreq, now=NOW)
    db.session.commit()
    both = {joint.title, prep.title}
    seen = {liaison: both, make_user("manager"): both, sayo: both,
            shiso: {joint.title}, make_staff("宍粟市"): {joint.title}}
    for user, titles in seen.items():
        status, html = page(client, login_as, user, sreq)
        assert status == 200, user.email
        assert 'data-testid="request-visits"' in html
        for title in both:
            assert (title in html) == (title in titles), (user.email, title)
    # Another municipality's staff and an expert not on it cannot open the request at all.
    for user in (make_staff("姫路市"), other_expert):
        status, html = page(client, login_as, user, sreq)
        assert status == 404 and joint.title not in html


def held_lecture(staff, liaison):
    sreq = taken(lecture(staff), liaison)
    visit = schedule_from_candidate(sreq, sreq.candidate_dates[0], liaison, now=NOW)
    record_visit(visit, liaison, covered="業務改善の講義", follow_ups="RPAの導入を伴走したい",
                 now=DAY1 + timedelta(hours=4))
    db.session.commit()
    return sreq, visit


def test_follow_up_request_gets_a_real_number_and_routing(app):
    staff, info = make_staff("佐用町"), make_staff("佐用町", info_dept=True)
    liaison = make_liaison("西播磨")
    sreq, visit = held_lecture(staff, liaison)
    assert sreq.number == "R7-0001" and sreq.state == "delivered"
    later = DAY1 + timedelta(days=1)
    new = open_followup_request(visit, liaison, kind="accompaniment", title="RPA導入の伴走",
                                now=later)
    db.session.commit()
    assert new.number == "R7-0002" and (new.fiscal_year, new.seq) == (2025, 2)
    assert new.region.name == "西播磨" and new.municipality.name == "佐用町"
    assert new.state == "triage" and new.assignee_id == liaison.id and new.origin == "push"
    assert new.parent_id == sreq.id and new.submitted_at is not None
    assert new.first_response_due_at is not None
    # No content typed: the record's follow-ups are the request's content.
    assert new.body == "RPAの導入を伴走したい"
    routed = db.session.scalar(sa.select(RequestEvent).where(
        RequestEvent.request_id == new.id, RequestEvent.kind == "routed"))
    assert routed.data["number"] == "R7-0002" and routed.data["region"] == "西播磨"
    assert routed.data["central_team"] is False
    # 実施手順: filed by a liaison, so the municipality's 情報部門 is told and follows it.
    assert info.id in {u.id for u in new.followers}
    # The next ordinary filing continues the same fiscal-year sequence.
    assert make_request(staff, now=later).number == "R7-0003"


def test_follow_up_in_kobe_goes_to_the_central_team(app):
    liaison = make_liaison("西播磨", central=True)
    start = NOW - timedelta(days=2)
    visit = create_visit(liaison, kind="round", title="定期巡回", starts_at=start,
                         ends_at=start + timedelta(hours=1), municipalities=[municipality("神戸市")],
                         confirm=True, now=start - timedelta(days=7))
    record_visit(visit, liaison, covered="取組状況", now=NOW)
    new = open_followup_request(visit, liaison, kind="consultation", title="電子申請の相談",
                                body="手続のオンライン化", now=NOW)
    db.session.commit()
    assert re.fullmatch(r"R7-\d{4}", new.number) and new.parent_id is None
    assert not new.region.has_liaison
    routed = db.session.scalar(sa.select(RequestEvent).where(
        RequestEvent.request_id == new.id, RequestEvent.kind == "routed"))
    assert routed.data["central_team"] is True


def test_follow_up_form_flashes_the_number(app, client, login_as):
    liaison = make_liaison("西播磨")
    sreq, visit = held_lecture(make_staff("佐用町"), liaison)
    login_as(liaison)
    resp = client.post(f"/visits/{visit.id}/follow-up", data={
        "target": "consultation", "title": "データ活用の相談", "body": "庁内データの棚卸し"},
        follow_redirects=True)
    html = resp.get_data(as_text=True)
    new = db.session.scalar(sa.select(SupportRequest).where(
        SupportRequest.title == "データ活用の相談"))
    assert resp.status_code == 200 and re.fullmatch(r"R\d+-\d{4}", new.number)
    assert new.number in html
    assert new.region_id == municipality("佐用町").region_id
    # The visit's request lists the follow-up in its history; the new one links back.
    assert client.get(f"/requests/{new.id}").status_code == 200
