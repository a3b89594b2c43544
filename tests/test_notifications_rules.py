"""Who hears what: the 情報部門 rule, preferences, digests and the chat message's content."""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import InAppNotification, NotificationPreference
from supportdesk.notifications import notify
from supportdesk.notifications.audiences import WHO_HEARS
from supportdesk.notifications.digest import send_digests
from supportdesk.notifications.outbox import dispatch_due
from supportdesk.services.requests.transitions import apply_action
from tests.factories import make_liaison, make_request, make_staff, make_user, region
from tests.notify_helpers import announced_request, make_room, outbox_rows

OPEN = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def test_info_dept_share_reaches_the_municipalitys_info_dept_users_and_room(napp):
    filer = make_staff("佐用町", department="福祉課")
    info = make_staff("佐用町", info_dept=True, email="joho@town.sayo.example.jp")
    other_town_info = make_staff("たつの市", info_dept=True)
    room = make_room(municipality_name="佐用町")
    make_room(municipality_name="たつの市", name="たつの市 情報部門")
    sreq = announced_request(filer, title="審査会のペーパーレス化")

    notify("request.info_dept_shared", sreq=sreq, now=OPEN)
    db.session.commit()
    assert {(m.channel, m.user_id, m.room_id) for m in outbox_rows()} == {
        ("email", info.id, None), ("webhook", None, room.id)}
    assert db.session.scalars(sa.select(InAppNotification.user_id)).all() == [info.id]
    mail = outbox_rows(channel="email")[0]
    assert "情報部門を介さずに" in mail.body and "福祉課" in mail.body
    assert other_town_info.id not in {m.user_id for m in outbox_rows()}


def test_submitting_outside_the_info_dept_shares_once(napp):
    make_liaison("西播磨")
    filer = make_staff("佐用町")
    info = make_staff("佐用町", info_dept=True)
    sreq = make_request(filer, state="draft")
    apply_action(sreq, "submit", filer, now=OPEN)
    notify("request.info_dept_shared", sreq=sreq, now=OPEN)  # a second trigger is a no-op
    db.session.commit()
    shared = outbox_rows(event_type="request.info_dept_shared")
    assert [(m.channel, m.user_id) for m in shared] == [("email", info.id)]


def test_team_audience_uses_region_liaisons_and_central_team_for_kobe(napp):
    west = make_liaison("西播磨")
    make_liaison("但馬")
    central = make_liaison("阪神南", central=True)
    west_room = make_room("region", "西播磨チーム", region=region("西播磨"))
    pref_room = make_room("prefecture", "本庁チーム")
    sayo_req = announced_request(make_staff("佐用町"))
    kobe_req = announced_request(make_staff("神戸市"))  # (clears the filing notices of both)
    notify("request.submit", sreq=sayo_req, now=OPEN)
    notify("request.submit", sreq=kobe_req, now=OPEN)
    db.session.commit()
    sayo, kobe = {}, {}
    for m in outbox_rows():
        target = sayo if m.request_id == sayo_req.id else kobe
        target.setdefault(m.channel, set()).add(m.user_id or m.room_id)
    assert sayo == {"email": {west.id}, "webhook": {west_room.id}}
    assert kobe == {"email": {central.id}, "webhook": {pref_room.id}}


def test_who_hears_table_covers_the_issue(napp):
    assert WHO_HEARS["request.submit"] == ("team",)
    assert WHO_HEARS["request.info_dept_shared"] == ("info_dept",)
    assert set(WHO_HEARS["visit.cancelled"]) == {"attendees", "municipality", "filer", "followers"}
    assert WHO_HEARS["report.ready"] == ("managers",)
    assert WHO_HEARS["expert.assigned"] == ("named",)  # the expert asked, not every expert
    assert WHO_HEARS["request.escalation"] == ("team_leads",)
    manager = make_user("manager")
    notify("report.ready", now=OPEN, link="/reports/2026-10")
    db.session.commit()
    assert [m.user_id for m in outbox_rows()] == [manager.id]


def test_chat_message_carries_facts_but_no_personal_data_or_notes(napp):
    filer = make_staff("佐用町", name="山田 太郎", email="yamada.marker@town.example.jp")
    liaison = make_liaison("西播磨", name="県 リエゾン")
    make_room(municipality_name="佐用町")
    sreq = announced_request(filer, title="MARKER-TITLE 山田の相談")
    sreq.body = "MARKER-BODY 電話 090-0000-0000"
    sreq.assignee = liaison
    notify("request.info_dept_shared", sreq=sreq, now=OPEN, reason="MARKER-NOTE 内部メモ")
    db.session.commit()
    [chat] = outbox_rows(channel="webhook")
    text = chat.body + str(chat.payload)
    for marker in ("MARKER", "山田", "yamada", "090-"):
        assert marker not in text
    lines = chat.body.splitlines()
    assert lines[0].startswith("【情報部門への情報共有】")
    assert f"依頼番号:{sreq.number}" in lines and "市町:佐用町" in lines
    assert "担当リエゾン:県 リエゾン" in lines
    assert f"詳細:https://desk.example.lg.jp/requests/{sreq.id}" in lines


def test_preferences_turn_channels_off(napp):
    filer = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    db.session.add(NotificationPreference(user_id=filer.id, event_type="request.triage",
                                          channel="email", enabled=False))
    db.session.commit()
    notify("request.triage", sreq=announced_request(filer), actor=liaison, now=OPEN)
    db.session.commit()
    assert outbox_rows() == []
    assert db.session.scalars(sa.select(InAppNotification.user_id)).all() == [filer.id]


def test_daily_digest_bundles_held_mails_into_one_mail_once(napp, smtp):
    filer = make_staff("佐用町", email="digest@town.example.jp")
    liaison = make_liaison("西播磨")
    db.session.add(NotificationPreference(user_id=filer.id, event_type="*", channel="email",
                                          digest=True))
    db.session.commit()
    a, b = announced_request(filer, title="一件目"), announced_request(filer, title="二件目")
    notify("request.triage", sreq=a, actor=liaison, now=OPEN)
    notify("request.answer", sreq=b, actor=liaison, now=OPEN + timedelta(hours=1))
    db.session.commit()
    assert [m.status for m in outbox_rows()] == ["held", "held"]
    assert dispatch_due(now=OPEN + timedelta(hours=2))["claimed"] == 0

    evening = OPEN + timedelta(hours=7)  # 17:00 JST
    assert send_digests(evening) == 1
    db.session.commit()
    assert send_digests(evening) == 0
    db.session.commit()
    assert dispatch_due(now=evening)["sent"] == 1
    [(rcpts, mail)] = smtp.sink.messages
    assert rcpts == ["digest@town.example.jp"]
    assert mail["Subject"] == "【市町DX支援デスク】本日のお知らせのまとめ(2件)"
    text = mail.get_body(("plain",)).get_content()
    assert "一件目" in text and "二件目" in text
    assert [m.status for m in outbox_rows()] == ["digested", "digested", "sent"]


def test_visit_events_reach_attendees_and_the_municipality(napp):
    from supportdesk.models import Visit
    from tests.factories import make_expert, municipality

    liaison = make_liaison("西播磨")
    expert = make_expert()
    filer = make_staff("佐用町")
    room = make_room(municipality_name="佐用町")
    make_room(municipality_name="たつの市", name="たつの市 情報部門")
    sreq = announced_request(filer)
    visit = Visit(kind="lecture", title="出前講座", request_id=sreq.id, liaison_id=liaison.id,
                  starts_at=OPEN + timedelta(days=7), ends_at=OPEN + timedelta(days=7, hours=2),
                  created_by_id=liaison.id, municipalities=[municipality("佐用町")],
                  attendees=[expert])
    db.session.add(visit)
    db.session.commit()
    notify("visit.cancelled", visit=visit, actor=liaison, now=OPEN, reason="台風のため")
    db.session.commit()
    got = {(m.channel, m.user_id or m.room_id) for m in outbox_rows()}
    assert got == {("email", expert.id), ("email", filer.id), ("webhook", room.id)}
    assert all(m.urgent and m.next_attempt_at == OPEN for m in outbox_rows())  # cancellations go at once
    [chat] = outbox_rows(channel="webhook")
    assert "訪問先:佐用町" in chat.body and "台風" not in chat.body
    assert f"/visits/{visit.id}" in chat.link


def test_dispatch_cli_delivers_what_is_due(napp, smtp):
    staff = make_staff("佐用町")
    notify("expert.removed", recipients=[staff], urgent=True)  # due now (real clock)
    db.session.commit()
    db.session.remove()
    result = napp.test_cli_runner().invoke(args=["dispatch", "--once"])
    assert result.exit_code == 0, result.output
    assert "'sent': 1" in result.output
    assert len(smtp.sink.messages) == 1


def test_a_title_cannot_inject_mail_headers(napp, smtp):
    staff = make_staff("佐用町", email="only@town.example.jp")
    sreq = announced_request(staff, title="件名\r\nBcc: evil@attacker.example\r\nX-Evil: 1")
    notify("expert.removed", recipients=[staff], sreq=sreq, now=OPEN, urgent=True)
    db.session.commit()
    assert dispatch_due(now=OPEN)["sent"] == 1
    [(rcpts, mail)] = smtp.sink.messages
    assert rcpts == ["only@town.example.jp"]
    assert mail["Bcc"] is None and mail["X-Evil"] is None


def test_who_hears_names_only_events_the_code_sends_and_labels_them_all(napp):
    """The table on the admin page and the rows of the preferences page are the events that
    really fire: a renamed event can no longer leave a dead row (and its setting) behind."""
    import pathlib
    import re

    from supportdesk.notifications.audiences import (
        ACCOUNT_EVENTS,
        EVENT_LABELS,
        MESSAGE_ONLY_LABELS,
    )
    from supportdesk.services import announcements
    from supportdesk.services.accounts import password_reset
    from supportdesk.services.contacts import handover
    from supportdesk.services.requests import escalations
    from supportdesk.services.visits import jobs as visit_jobs
    from supportdesk.workflow import TRANSITIONS

    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in pathlib.Path("supportdesk").rglob("*.py"))
    fired = set(re.findall(r'notify\(\s*"([a-z_]+\.[a-z_0-9]+)"', source))
    fired |= set(re.findall(r'notify\(\s*"[a-z_.]+" if \w+ else "([a-z_]+\.[a-z_0-9]+)"', source))
    fired |= set(re.findall(r'_announce\(\w+, "([a-z_]+\.[a-z_0-9]+)"', source))
    fired |= {f"request.{action.value}" for (_state, action) in TRANSITIONS}   # f"request.{...}"
    fired |= {f"visit.{kind}" for kind, _delta in visit_jobs.REMINDERS}       # f"visit.{kind}"
    fired |= {"expert.accepted", "expert.declined"}                            # f"expert.{status}"
    fired |= {"round.due", "round.overdue"}                                    # f"round.{status}"
    fired |= {escalations.EVENT, announcements.EVENT, password_reset.EVENT}
    fired |= {handover.ASK_EVENT, handover.INVITE_EVENT}
    # One table: every event the code sends has its row, and every row is sent by the code.
    assert set(WHO_HEARS) == fired, (set(WHO_HEARS) - fired, fired - set(WHO_HEARS))
    # Every row is labelled once: a preference (EVENT_LABELS), a message-only event, or account mail.
    assert not set(MESSAGE_ONLY_LABELS) & set(EVENT_LABELS)
    assert set(EVENT_LABELS) | set(MESSAGE_ONLY_LABELS) | ACCOUNT_EVENTS == set(WHO_HEARS)
