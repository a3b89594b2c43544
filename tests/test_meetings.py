"""Meetings and forums: members by level, invitations through the outbox, answers (with a
substitute), the reminder job, attendance, minutes (internal ones), action items with owners
and their reminders, what each side may see (404 for a guessed URL), reach and participation."""
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supportdesk import permissions
from supportdesk.extensions import db
from supportdesk.models import AuditLog, InAppNotification, OutboxMessage
from supportdesk.permissions import PermissionDenied
from supportdesk.services import ValidationFailed
from supportdesk.services.meetings import answers, items, meetings, participation, series
from supportdesk.services.meetings.notices import send_meeting_notices
from supportdesk.services.reports.figures import month_period, reached
from supportdesk.services.visits.calendar_feed import build_feed
from tests.factories import make_contact, make_department, make_liaison, make_staff, municipality
from tests.notify_helpers import make_room

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)          # Monday 10:00 in Tokyo
STARTS = datetime(2026, 12, 18, 5, 0, tzinfo=UTC)      # Friday 14:00 in Tokyo
ENDS = datetime(2026, 12, 18, 7, 0, tzinfo=UTC)
DEADLINE = date(2026, 12, 15)                          # answers by Tuesday
REMINDER_DAY = datetime(2026, 12, 11, 0, 0, tzinfo=UTC)  # 2 business days before, 09:00 JST
AFTER = datetime(2026, 12, 18, 8, 0, tzinfo=UTC)


@pytest.fixture
def w(app):
    """A CIO forum for 佐用町 and 神河町: 佐用町's CIO has an account, 神河町's has none."""
    liaison = make_liaison("西播磨", "中播磨")
    sayo_cio = make_staff("佐用町", name="佐用 CIO")
    sayo_info = make_staff("佐用町", info_dept=True, name="佐用 情報")
    kami_info = make_staff("神河町", info_dept=True, name="神河 情報")
    toyooka = make_staff("豊岡市", info_dept=True, name="豊岡 情報")
    make_contact("佐用町", "cio", name="佐用 CIO", user=sayo_cio)
    make_contact("神河町", "cio", name="神河 CIO", email="cio@kamikawa.example.jp")
    make_contact("豊岡市", "cio", name="豊岡 CIO")  # not a member: outside the series' towns
    make_room(municipality_name="佐用町")
    s = series.create_series(liaison, kind="cio_forum", title="CIOフォーラム",
                             member_roles=["cio"], member_municipality_ids=[
                                 municipality("佐用町").id, municipality("神河町").id], now=NOW)
    m = meetings.create_meeting(s, liaison, title="第3回CIOフォーラム", starts_at=STARTS,
                                ends_at=ENDS, venue="県庁3号館", agenda="生成AIの活用",
                                answer_deadline=DEADLINE, uploads=[("次第.pdf", b"%PDF-1.4 x")],
                                now=NOW)
    db.session.commit()
    return dict(liaison=liaison, sayo_cio=sayo_cio, sayo_info=sayo_info, kami_info=kami_info,
                toyooka=toyooka, series=s, meeting=m)


def _invite(w):
    meetings.invite(w["meeting"], w["liaison"], now=NOW)
    db.session.commit()
    return {i.name: i for i in w["meeting"].invitations}


def test_a_series_needs_members_and_a_working_group_its_theme(w):
    with pytest.raises(ValidationFailed) as e:
        series.create_series(w["liaison"], kind="working_group", title="WG", member_roles=["cio"])
    assert e.value.field == "theme"
    with pytest.raises(ValidationFailed) as e:
        series.create_series(w["liaison"], kind="other", title="x")
    assert e.value.field == "member_roles"
    with pytest.raises(PermissionDenied):
        series.create_series(w["sayo_info"], kind="other", title="x", member_info_dept=True)


def test_inviting_fixes_the_members_and_sends_through_the_outbox(w):
    m = w["meeting"]
    assert not permissions.can(w["sayo_cio"], "view", m)  # in preparation: prefecture only
    inv = _invite(w)
    assert set(inv) == {"佐用 CIO", "神河 CIO"} and m.status == "invited"
    assert inv["佐用 CIO"].user_id == w["sayo_cio"].id and inv["神河 CIO"].user_id is None
    bells = db.session.scalars(sa.select(InAppNotification.user_id).where(
        InAppNotification.event_type == "meeting.invited")).all()
    assert bells == [w["sayo_cio"].id]
    mails = {o.to_address: o for o in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "meeting.invited", OutboxMessage.channel == "email"))}
    assert set(mails) == {w["sayo_cio"].email, "cio@kamikawa.example.jp"}
    assert "2026-12-18 14:00〜16:00" in mails["cio@kamikawa.example.jp"].body
    assert "情報部門" in mails["cio@kamikawa.example.jp"].body  # no account: how to answer
    chat = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "meeting.invited", OutboxMessage.channel == "webhook")).all()
    assert [c.municipality_id for c in chat] == [municipality("佐用町").id]
    assert "第3回" not in chat[0].body  # chat carries facts only, never the title
    assert "meeting.invite" in set(db.session.scalars(sa.select(AuditLog.action)))
    # The invitee's calendar feed carries the meeting.
    assert b"meeting-%d@" % m.id in build_feed(w["sayo_cio"], now=NOW)


def test_answers_substitutes_and_who_sees_which_answers(w):
    m, inv = w["meeting"], _invite(w)
    sayo, kami = inv["佐用 CIO"], inv["神河 CIO"]
    with pytest.raises(ValidationFailed) as e:
        answers.answer_invitation(sayo, w["sayo_cio"], answer="proxy", now=NOW)
    assert e.value.field == "substitute_name"
    answers.answer_invitation(sayo, w["sayo_cio"], answer="proxy",
                              substitute_name="企画課長 山田", now=NOW)
    # 神河町's CIO has no account: its 情報部門 answers for them; another town's staff cannot.
    assert not permissions.may_answer_invitation(w["sayo_info"], kami)
    assert not permissions.can(w["toyooka"], "view", m)
    assert permissions.may_answer_invitation(w["sayo_info"], sayo) is False  # has an account
    answers.answer_invitation(kami, w["kami_info"], answer="absent", now=NOW)
    db.session.commit()
    assert answers.nobody_coming(m) == [municipality("神河町")]
    # Staff read their own municipality's answers only; the liaison all of them.
    assert [g[0].name for g in answers.answers_by_municipality(m, w["sayo_cio"])] == ["佐用町"]
    assert [g[0].name for g in answers.answers_by_municipality(m, w["liaison"])] == \
        ["神河町", "佐用町"]  # by municipality code
    assert sayo.substitute_name == "企画課長 山田"


def test_the_reminder_goes_once_to_those_who_have_not_answered(w):
    inv = _invite(w)
    answers.answer_invitation(inv["佐用 CIO"], w["sayo_cio"], answer="attend", now=NOW)
    db.session.commit()
    assert send_meeting_notices(now=NOW)["reminders"] == 0  # not the reminder day yet
    assert send_meeting_notices(now=REMINDER_DAY)["reminders"] == 1
    assert send_meeting_notices(now=REMINDER_DAY)["reminders"] == 0
    db.session.commit()  # the job runner commits: the notices are written then
    rows = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "meeting.answer_reminder")).all()
    assert [r.to_address for r in rows] == ["cio@kamikawa.example.jp"]
    # Office hours: the reminder made at 09:00 waits for 開庁 (08:30) or goes at once.
    assert rows[0].next_attempt_at >= REMINDER_DAY


def test_attendance_minutes_and_items_after_the_meeting(w):
    m, inv = w["meeting"], _invite(w)
    answers.answer_invitation(inv["佐用 CIO"], w["sayo_cio"], answer="attend", now=NOW)
    with pytest.raises(ValidationFailed):
        meetings.record_attendance(m, w["liaison"], [inv["佐用 CIO"].id], now=NOW)  # too early
    meetings.record_attendance(m, w["liaison"], [inv["佐用 CIO"].id], now=AFTER)
    meetings.publish_minutes(m, w["liaison"], minutes="生成AIの利用指針を共有した。", now=AFTER)
    own = items.add_item(m, w["liaison"], kind="action", title="利用指針案の意見照会",
                         owner_kind="municipality", owner_id=municipality("神河町").id,
                         due_on=date(2026, 12, 25), now=AFTER)
    dept = make_department()
    secret = items.add_item(m, w["liaison"], kind="decision", title="予算要求の方針",
                            owner_kind="department", owner_id=dept.id,
                            due_on=date(2027, 1, 8), internal=True, now=AFTER)
    with pytest.raises(ValidationFailed) as e:
        items.add_item(m, w["liaison"], kind="action", title="x", owner_kind="municipality",
                       owner_id=municipality("佐用町").id, due_on=date(2027, 1, 8),
                       internal=True, now=AFTER)
    assert e.value.field == "internal"
    db.session.commit()
    assert m.status == "held" and inv["神河 CIO"].attended is False
    assert db.session.scalar(sa.select(sa.func.count(InAppNotification.id)).where(
        InAppNotification.event_type == "meeting.minutes_published")) == 1
    # The municipal owner sees and closes its own item; another town's item is not its to close.
    assert permissions.can(w["kami_info"], "view", own)
    assert not permissions.can(w["kami_info"], "view", secret)
    assert not permissions.can(w["sayo_cio"], "view", secret)
    assert not permissions.may_close_action_item(w["sayo_cio"], own)
    with pytest.raises(ValidationFailed):
        items.close_item(own, w["sayo_cio"], note="済", now=AFTER)
    with pytest.raises(PermissionDenied):
        items.close_item(own, w["toyooka"], note="済", now=AFTER)
    assert [i.title for i in items.items_of(m, w["sayo_cio"])] == ["利用指針案の意見照会"]
    # Reminders: before the due date to the owner (神河町's 情報部門 and room), then overdue.
    got = send_meeting_notices(now=datetime(2026, 12, 22, 0, 0, tzinfo=UTC))
    assert (got["due"], got["overdue"]) == (1, 0)
    assert items.overdue_for_liaison(w["liaison"], now=datetime(2026, 12, 28, tzinfo=UTC)) == \
        [own]
    got = send_meeting_notices(now=datetime(2026, 12, 28, 0, 0, tzinfo=UTC))
    assert got["overdue"] == 1
    assert send_meeting_notices(now=datetime(2026, 12, 28, 0, 0, tzinfo=UTC))["items"] == 0
    db.session.commit()
    told = set(db.session.scalars(sa.select(InAppNotification.user_id).where(
        InAppNotification.event_type == "meeting.action_overdue")))
    assert told == {w["kami_info"].id, w["liaison"].id}
    items.close_item(own, w["kami_info"], note="意見を提出しました。", now=AFTER)
    db.session.commit()
    assert own.status == "closed" and items.overdue_for_liaison(w["liaison"]) == []
    # The meeting counts as contact with 佐用町 (attended), not with 神河町 (absent).
    assert reached(month_period(2026, 12), None) == 1
    fy = 2026
    rows = {r[0].name: r for r in participation.series_participation(w["series"], fy)}
    assert rows["佐用町"][1:] == (1, 1, ["佐用 CIO"]) and rows["神河町"][1:3] == (1, 0)
    assert participation.municipality_participation(municipality("神河町").id, fy) == \
        [(w["series"], 1, 0)]


def test_internal_minutes_stay_with_the_prefecture(w):
    m, inv = w["meeting"], _invite(w)
    meetings.record_attendance(m, w["liaison"], [], now=AFTER)
    meetings.publish_minutes(m, w["liaison"], minutes="人事の話", internal=True, now=AFTER)
    db.session.commit()
    assert permissions.may_read_minutes(w["liaison"], m)
    assert not permissions.may_read_minutes(w["sayo_cio"], m)
    assert db.session.scalar(sa.select(sa.func.count(InAppNotification.id)).where(
        InAppNotification.event_type == "meeting.minutes_published")) == 0


def test_pages_scope_and_guessed_urls_answer_404(w, client, login_as):
    m, inv = w["meeting"], _invite(w)
    answers.answer_invitation(inv["神河 CIO"], w["kami_info"], answer="attend", now=NOW)
    db.session.commit()
    login_as(w["sayo_cio"])
    page = client.get(f"/meetings/{m.id}").get_data(as_text=True)
    assert "佐用 CIO" in page and "神河 CIO" not in page  # only its own answers
    resp = client.post(f"/meetings/{m.id}/invitations/{inv['佐用 CIO'].id}/answer",
                       data={f"a{inv['佐用 CIO'].id}-answer": "proxy"})
    assert resp.status_code == 422 and "出席する方の氏名" in resp.get_data(as_text=True)
    assert client.get(f"/meetings/{m.id}/meeting.ics").mimetype == "text/calendar"
    download = client.get(f"/meetings/{m.id}/materials/{m.materials[0].id}")
    assert download.status_code == 200 and download.get_data() == b"%PDF-1.4 x"
    download.close()
    assert client.post(f"/meetings/{m.id}/invitations/{inv['神河 CIO'].id}/answer",
                       data={f"a{inv['神河 CIO'].id}-answer": "absent"}).status_code == 404
    assert client.get(f"/meetings/series/{w['series'].id}").status_code == 403
    login_as(w["toyooka"])
    assert client.get(f"/meetings/{m.id}").status_code == 404
    assert client.get(f"/meetings/{m.id}/materials/{m.materials[0].id}").status_code == 404
    login_as(w["liaison"])
    page = client.get(f"/meetings/{m.id}").get_data(as_text=True)
    assert "神河 CIO" in page and 'data-testid="nobody-coming"' in page  # 佐用町 not answered
    page = client.get(f"/meetings/series/{w['series'].id}").get_data(as_text=True)
    assert "CIOフォーラム" in page
    dossier = client.get("/municipalities/28446").get_data(as_text=True)  # 神河町
    assert 'data-testid="municipality-meetings"' in dossier and "第3回CIOフォーラム" in dossier


def test_the_api_scopes_meetings_like_the_pages(w, client):
    from tests.test_api import bearer

    m, inv = w["meeting"], _invite(w)
    meetings.record_attendance(m, w["liaison"], [], now=AFTER)
    meetings.publish_minutes(m, w["liaison"], minutes="人事の話", internal=True, now=AFTER)
    db.session.commit()
    mine = client.get("/api/v1/meetings", headers=bearer(w["sayo_cio"])).get_json()
    assert [x["id"] for x in mine["items"]] == [m.id]
    one = client.get(f"/api/v1/meetings/{m.id}", headers=bearer(w["sayo_cio"])).get_json()
    assert [i["municipality_code"] for i in one["invitations"]] == ["28501"]
    assert one["minutes"] is None  # internal minutes stay with the prefecture
    full = client.get(f"/api/v1/meetings/{m.id}", headers=bearer(w["liaison"])).get_json()
    assert full["minutes"] == "人事の話" and len(full["invitations"]) == 2
    assert client.get(f"/api/v1/meetings/{m.id}", headers=bearer(w["toyooka"])).status_code == 404
    assert client.get("/api/v1/meetings", headers=bearer(w["toyooka"])).get_json()["items"] == []
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/meetings/{meeting_id}/invitations/{invitation_id}/answer" in doc["paths"]


def test_answering_over_the_api(w, client):
    from tests.test_api import bearer

    m, inv = w["meeting"], _invite(w)
    url = f"/api/v1/meetings/{m.id}/invitations/{inv['佐用 CIO'].id}/answer"
    token = bearer(w["sayo_cio"], scope="write")
    assert client.post(url, json={"answer": "proxy"}, headers=token).status_code == 422
    got = client.post(url, json={"answer": "proxy", "substitute_name": "課長 山田"}, headers=token)
    assert got.status_code == 200 and got.get_json()["substitute_name"] == "課長 山田"
    other = f"/api/v1/meetings/{m.id}/invitations/{inv['神河 CIO'].id}/answer"
    assert client.post(other, json={"answer": "attend"}, headers=token).status_code == 404


def test_demo_meetings_through_the_pages(app, client):
    from supportdesk.demo.contacts import seed_demo_contacts
    from supportdesk.demo.meetings import seed_demo_meetings
    from supportdesk.demo.users import DEMO_PASSWORD, seed_demo_users
    from supportdesk.models import Meeting

    seed_demo_users()
    seed_demo_contacts()
    assert seed_demo_meetings() > 41
    assert seed_demo_meetings() == 0  # idempotent
    db.session.commit()
    past, upcoming = db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at)).all()
    assert past.status == "held" and past.minutes and upcoming.status == "invited"

    def login(email):
        client.post("/logout")
        assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}
                           ).status_code == 302

    login("liaison.nishiharima@demo.example.jp")
    queue = client.get("/queue/").get_data(as_text=True)
    assert 'data-testid="overdue-items"' in queue and "庁内周知状況" in queue
    for url in ("/meetings", f"/meetings/{past.id}", f"/meetings/{upcoming.id}",
                f"/meetings/series/{past.series_id}", f"/meetings/{upcoming.id}/edit",
                f"/meetings/series/{past.series_id}/edit", "/meetings/series/new"):
        assert client.get(url).status_code == 200, url
    html = client.get(f"/meetings/series/{past.series_id}").get_data(as_text=True)
    assert 'data-testid="participation-row"' in html
    login("sayo.joho@demo.example.jp")
    html = client.get(f"/meetings/{upcoming.id}").get_data(as_text=True)
    assert "総務課長 田中" in html and 'data-testid="nobody-coming"' not in html
    html = client.get(f"/meetings/{past.id}").get_data(as_text=True)
    assert "生成AI利用ガイドライン" in html and "次回は総会と同日" not in html  # internal item


def test_the_queue_lists_overdue_items_only_when_there_are_some(w, client, login_as):
    """The queue asks whether an item the liaison follows is overdue in the statement of its
    saved views; the items are loaded (one more statement) only when there are some."""
    login_as(w["liaison"])
    seen = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda c, cur, s, *a: seen.append(s))
    page = client.get("/queue/").get_data(as_text=True)
    assert 'data-testid="overdue-items"' not in page
    assert not [s for s in seen if s.lstrip().startswith("SELECT meeting_action_items.")]
    items.add_item(w["meeting"], w["liaison"], kind="action", title="庁内周知の確認",
                   owner_kind="person", owner_id=w["liaison"].id, due_on=date(2020, 4, 1),
                   now=NOW)
    db.session.commit()
    page = client.get("/queue/").get_data(as_text=True)
    assert 'data-testid="overdue-items"' in page and "庁内周知の確認" in page
