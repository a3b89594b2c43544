"""The outbox end to end with real parts: aiosmtpd on loopback, an HTTP receiver on loopback."""
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import InAppNotification, SupportRequest
from supportdesk.notifications import notify
from supportdesk.notifications.outbox import claim_due, deliver, dispatch_due, drain
from supportdesk.services.notification_settings import retry_message
from supportdesk.services.requests.transitions import apply_action
from tests.factories import make_liaison, make_request, make_staff, make_user, region
from tests.notify_helpers import Receiver, announced_request, make_room, outbox_rows

# Wednesday 2026-11-25 10:00 in Tokyo: inside office hours.
OPEN = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def test_outbox_rows_commit_with_the_cause_and_vanish_when_it_rolls_back(napp, receiver):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    room = make_room("region", "西播磨リエゾン", url=receiver.url, region=region("西播磨"))
    sreq = make_request(staff, state="draft")

    apply_action(sreq, "submit", staff, now=OPEN)
    db.session.rollback()
    assert outbox_rows() == []
    assert db.session.get(SupportRequest, sreq.id).state == "draft"

    sreq = db.session.get(SupportRequest, sreq.id)
    apply_action(sreq, "submit", staff, now=OPEN)
    db.session.commit()
    sent = outbox_rows()
    assert {(m.channel, m.user_id, m.room_id) for m in sent} == {
        ("email", liaison.id, None), ("webhook", None, room.id)}
    assert all(m.request_id == sreq.id and m.status == "pending" for m in sent)
    bell = db.session.scalars(sa.select(InAppNotification)).all()
    assert [(n.user_id, n.link) for n in bell] == [
        (liaison.id, f"https://desk.example.lg.jp/requests/{sreq.id}")]


def test_mail_arrives_at_a_real_smtp_server_with_japanese_subject_and_html(napp, smtp):
    staff = make_staff("佐用町", email="taro@town.sayo.example.jp")
    liaison = make_liaison("西播磨")
    sreq = announced_request(staff, title="窓口の<b>オンライン化</b>")
    notify("request.triage", sreq=sreq, actor=liaison, now=OPEN)
    db.session.commit()
    [msg] = outbox_rows(channel="email")

    assert dispatch_due(now=OPEN)["sent"] == 1
    [(rcpts, mail)] = smtp.sink.messages
    assert rcpts == ["taro@town.sayo.example.jp"]
    assert mail["Subject"] == f"【市町DX支援デスク】依頼の調整開始 {sreq.number}"
    assert mail["X-Supportdesk-Delivery"].strip() == msg.idempotency_key
    assert mail["Message-ID"].endswith("@pref.example.jp>")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "窓口の<b>オンライン化</b>" in text and "現在の状態:受付" in text
    assert "窓口の&lt;b&gt;オンライン化&lt;/b&gt;" in html
    assert f"https://desk.example.lg.jp/requests/{sreq.id}" in html
    db.session.refresh(msg)
    assert (msg.status, msg.attempts, msg.sent_at) == ("sent", 1, OPEN)


def test_smtp_451_is_retried_and_550_dead_letters(napp, smtp):
    staff = make_staff("佐用町")
    other = make_staff("佐用町")
    sreq = announced_request(staff)
    notify("expert.removed", recipients=[staff], sreq=sreq, now=OPEN)
    db.session.commit()
    smtp.sink.fail_rcpt = 1
    assert dispatch_due(now=OPEN)["retry"] == 1
    assert dispatch_due(now=OPEN + timedelta(hours=1))["sent"] == 1
    assert len(smtp.sink.messages) == 1

    smtp.sink.reject_rcpt = True
    notify("expert.removed", recipients=[other], sreq=sreq, now=OPEN)
    db.session.commit()
    assert dispatch_due(now=OPEN + timedelta(hours=2))["dead"] == 1
    [dead] = outbox_rows(status="dead")
    assert "550" in dead.last_error and dead.user_id == other.id


def test_receiver_500_timeout_and_down_then_recovery_delivers_each_message_once(napp, receiver):
    staff = make_staff("佐用町")
    room = make_room(url=receiver.url, municipality_name="佐用町")
    for sreq in [announced_request(staff, title=f"件{n}") for n in range(3)]:
        notify("request.info_dept_shared", sreq=sreq, now=OPEN)
    db.session.commit()
    assert len(outbox_rows(channel="webhook")) == 3
    now = OPEN

    receiver.mode = "fail"
    assert dispatch_due(now=now) == {"claimed": 3, "sent": 0, "retry": 3, "dead": 0, "lost": 0}
    receiver.mode = "hang"
    now += timedelta(hours=1)
    assert dispatch_due(now=now)["retry"] == 3
    receiver.stop()
    now += timedelta(hours=1)
    assert dispatch_due(now=now)["retry"] == 3
    assert all("room" in m.last_error and "127.0.0.1" not in m.last_error for m in outbox_rows())
    receiver.start()
    receiver.mode = "ok"
    assert dispatch_due(now=now)["claimed"] == 0  # backoff: not due yet
    now += timedelta(hours=1)
    assert dispatch_due(now=now)["sent"] == 3
    assert dispatch_due(now=now + timedelta(days=1))["claimed"] == 0

    assert sorted(receiver.delivered.values()) == [1, 1, 1]
    assert set(receiver.delivered) == {m.idempotency_key for m in outbox_rows()}
    assert receiver.bad_signatures == 0
    assert [(m.status, m.attempts) for m in outbox_rows()] == [("sent", 4)] * 3
    headers, body = next(iter(receiver.unique.values()))
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    text = body.decode()
    assert text.startswith("【情報部門への情報共有】") and "市町:佐用町" in text
    assert room.id  # the room was used through its webhook URL


def test_retry_delays_grow_with_jitter(napp, receiver):
    make_room(url=receiver.url, municipality_name="佐用町")
    staff = make_staff("佐用町")
    notify("request.info_dept_shared", sreq=announced_request(staff), now=OPEN)
    db.session.commit()
    receiver.mode = "fail"
    now, delays = OPEN, []
    for _ in range(4):
        dispatch_due(now=now)
        [msg] = outbox_rows()
        delays.append((msg.next_attempt_at - now).total_seconds())
        now = msg.next_attempt_at
    # full jitter: attempt n waits somewhere in [1 s, 5 s * 2**n]
    for n, delay in enumerate(delays, start=1):
        assert 1 <= delay <= 5 * 2 ** n
    assert outbox_rows()[0].attempts == 4


def test_dead_letter_after_max_attempts_then_manual_retry(napp, receiver):
    make_room(url=receiver.url, municipality_name="佐用町")
    admin = make_user("admin")
    notify("request.info_dept_shared", sreq=announced_request(make_staff("佐用町")), now=OPEN)
    db.session.commit()
    receiver.mode = "fail"
    now = OPEN
    for _ in range(5):  # NOTIFY_MAX_ATTEMPTS = 5
        dispatch_due(now=now)
        now += timedelta(hours=2)
    [msg] = outbox_rows()
    assert (msg.status, msg.attempts) == ("dead", 5)
    assert msg.last_error == f"webhook room {msg.room_id}: HTTP 500"
    assert dispatch_due(now=now + timedelta(days=3))["claimed"] == 0

    receiver.mode = "ok"
    assert retry_message(msg, admin, now=now)
    db.session.commit()
    assert dispatch_due(now=now)["sent"] == 1
    assert list(receiver.delivered.values()) == [1]


def test_http_410_dead_letters_at_once_without_touching_others(napp, receiver):
    with Receiver() as gone:
        gone.mode = "gone"
        make_room(url=gone.url, municipality_name="佐用町")
        make_room(url=receiver.url, municipality_name="佐用町", name="第二ルーム")
        notify("request.info_dept_shared", sreq=announced_request(make_staff("佐用町")), now=OPEN)
        db.session.commit()
        stats = dispatch_due(now=OPEN)
    assert (stats["dead"], stats["sent"]) == (1, 1)
    assert sorted(m.status for m in outbox_rows()) == ["dead", "sent"]


def test_a_crash_after_sending_resends_once_with_the_same_key(napp, receiver):
    make_room(url=receiver.url, municipality_name="佐用町")
    notify("request.info_dept_shared", sreq=announced_request(make_staff("佐用町")), now=OPEN)
    db.session.commit()
    [snap] = claim_due(OPEN, 10, "crashing-worker")
    deliver(snap, napp.config)  # ...and the process dies before recording it
    assert dispatch_due(now=OPEN + timedelta(seconds=60))["claimed"] == 0  # claim still fresh
    assert dispatch_due(now=OPEN + timedelta(seconds=301))["sent"] == 1
    [msg] = outbox_rows()
    assert msg.status == "sent"
    assert list(receiver.delivered.values()) == [2]   # sent twice ...
    assert list(receiver.unique) == [msg.idempotency_key]  # ... but one key to dedupe on


def test_same_event_key_enqueues_once(napp):
    staff = make_staff("佐用町")
    sreq = announced_request(staff)
    for _ in range(2):
        notify("request.co_applicant", sreq=sreq, recipients=[staff], now=OPEN, event_key="reply:77")
        db.session.commit()
    assert len(outbox_rows()) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InAppNotification)) == 1


def test_two_dispatchers_at_once_deliver_each_message_once(napp, receiver):
    make_room(url=receiver.url, municipality_name="佐用町", fmt="generic_json")
    staff = make_staff("佐用町")
    sreq = announced_request(staff)
    for n in range(120):
        notify("request.info_dept_shared", sreq=sreq, now=OPEN,
               event_key=f"bulk:{n}", channels=("webhook",))
    db.session.commit()
    db.session.remove()
    results, errors = [], []

    def run(name):
        try:
            with napp.app_context():
                results.append(drain(now=OPEN, limit=7, worker=name))
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r["sent"] for r in results) == 120
    assert all(r["sent"] > 0 for r in results)  # both really worked
    assert len(receiver.delivered) == 120 and set(receiver.delivered.values()) == {1}
    assert {m.status for m in outbox_rows()} == {"sent"}


def test_office_hours_hold_chat_and_mail_but_not_urgent_or_inapp(napp, receiver):
    make_room(url=receiver.url, municipality_name="佐用町")
    info = make_staff("佐用町", info_dept=True)
    night = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # Friday 22:00 JST
    sreq = announced_request(make_staff("佐用町"))
    urgent = announced_request(make_staff("佐用町"), title="至急", urgent=True)
    notify("request.info_dept_shared", sreq=sreq, now=night)
    db.session.commit()
    monday_open = datetime(2026, 11, 30, 8, 30).replace(tzinfo=UTC) - timedelta(hours=9)
    assert {m.next_attempt_at for m in outbox_rows()} == {monday_open}
    assert db.session.scalar(sa.select(InAppNotification.user_id)) == info.id
    assert dispatch_due(now=night)["claimed"] == 0
    notify("request.info_dept_shared", sreq=urgent, now=night)
    db.session.commit()
    assert dispatch_due(now=night)["sent"] == 2  # room + the info-dept user's mail
    assert dispatch_due(now=monday_open)["sent"] == 2


def test_two_dispatcher_processes_deliver_each_message_once(napp, receiver):
    import json
    import os
    import subprocess
    import sys

    make_room(url=receiver.url, municipality_name="佐用町", fmt="generic_json")
    sreq = announced_request(make_staff("佐用町"))
    for n in range(150):
        notify("request.info_dept_shared", sreq=sreq, event_key=f"proc:{n}",  # due now, real clock
               channels=("webhook",), urgent=True)
    db.session.commit()
    sreq_id = sreq.id
    db.session.remove()
    receiver.delay = 0.03  # ~4.5 s of work for one process: the two really overlap
    env = dict(os.environ, DATABASE_URL=napp.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY="test-secret-key-for-the-dispatch-processes",
               SUPPORTDESK_NOTIFY_HTTP_TIMEOUT="5", SUPPORTDESK_ENV="development")
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "supportdesk", "dispatch",
                               "--once", "--limit", "5"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    sent = [int(out.split("'sent': ", 1)[1].split(",", 1)[0]) for out, _err in outputs]
    assert sum(sent) == 150 and min(sent) > 0, sent
    assert len(receiver.delivered) == 150 and set(receiver.delivered.values()) == {1}
    headers, body = next(iter(receiver.unique.values()))
    data = json.loads(body)
    assert headers["Content-Type"] == "application/json"
    assert data["event"] == "request.info_dept_shared" and data["delivery_id"] == headers["Idempotency-Key"]
    assert data["data"]["municipality"] == "佐用町" and data["link"].endswith(f"/requests/{sreq_id}")
