"""Outgoing webhooks end to end: notify() enqueues, the dispatcher POSTs to a real loopback
receiver that checks the signature with its own HMAC code; delivery log and retry pages."""
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
import time_machine

from supportdesk.extensions import db
from supportdesk.models import OutboxMessage, SupportRequest
from supportdesk.notifications import pending_events
from supportdesk.notifications.outbox import dispatch_due, drain
from supportdesk.services.requests.conversation import add_comment
from supportdesk.services.requests.transitions import apply_action
from supportdesk.services.webhooks import (
    delete_webhook,
    mask_secret,
    rotate_webhook_secret,
    save_webhook,
)
from tests.factories import PASSWORD, make_liaison, make_request, make_staff, make_user

# Wednesday 2026-11-25 10:00 in Tokyo: inside office hours.
OPEN = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
LATER = OPEN + timedelta(days=1)  # past any backoff (cap 1 h)


class HookReceiver:
    """A subscriber: verifies X-Supportdesk-Signature = sha256=HMAC(secret, raw body) itself,
    answers 500 while failing, dedupes on Idempotency-Key."""

    def __init__(self):
        self.secret = None
        self.fail = False
        self.accepted = []     # (headers, body) of every valid delivery
        self.bad = 0
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.attempts += 1
                if receiver.fail:
                    return self._answer(500)
                mac = hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(f"sha256={mac}",
                                           self.headers.get("X-Supportdesk-Signature", "")):
                    receiver.bad += 1
                    return self._answer(401)
                receiver.accepted.append((dict(self.headers), body))
                return self._answer(204)

            def _answer(self, status):
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def events(self):
        return [json.loads(body)["type"] for _, body in self.accepted]


@pytest.fixture
def hook():
    r = HookReceiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()
    r.thread.join()


def subscribe(hook, events=("request.created", "request.state_changed"), name="kintone連携"):
    sub = save_webhook(make_user("admin"), name=name, url=hook.url, event_types=list(events))
    db.session.commit()
    hook.secret = sub.secret
    return sub


def sub_rows(sub):
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.idempotency_key.like(f"evt-%-sub-{sub.id}"))
        .order_by(OutboxMessage.id)).all()


def submitted(staff=None, now=OPEN):
    staff = staff or make_staff("佐用町")
    sreq = make_request(staff, state="draft", title="受付システムの相談")
    apply_action(sreq, "submit", staff, now=now)
    db.session.commit()
    return sreq


def test_submit_delivers_request_created_once_signed_with_the_idempotency_key(napp, hook):
    sub = subscribe(hook, events=["request.created"])
    sreq = submitted()
    [row] = sub_rows(sub)
    assert row.status == "pending" and row.event_type == "request.created"

    drain(now=OPEN)
    drain(now=LATER)  # nothing left to send twice

    [(headers, body)] = hook.accepted
    assert hook.bad == 0
    envelope = json.loads(body)
    assert envelope["type"] == "request.created" and headers["X-Supportdesk-Event"] == \
        "request.created"
    assert envelope["data"]["request"]["number"] == sreq.number
    assert "本文" not in body.decode()  # no request body text leaves the desk
    assert headers["Idempotency-Key"] == f"evt-{envelope['id']}-sub-{sub.id}" == \
        row.idempotency_key
    db.session.expire_all()
    assert row.status == "sent" and row.attempts == 1 and row.sent_at == OPEN
    assert body == row.body.encode()  # exactly the bytes stored at enqueue time


def test_state_change_delivers_request_state_changed(napp, hook):
    sub = subscribe(hook, events=["request.state_changed"])
    sreq = submitted()
    liaison = make_liaison("西播磨")
    apply_action(db.session.get(SupportRequest, sreq.id), "triage", liaison, now=OPEN)
    db.session.commit()
    drain(now=OPEN)
    assert hook.events() == ["request.state_changed", "request.state_changed"]
    states = sorted(json.loads(b)["data"]["request"]["state"] for _, b in hook.accepted)
    # The payload holds the state at the moment of each event, even though both send later.
    assert states == ["submitted", "triage"]
    assert len({h["Idempotency-Key"] for h, _ in hook.accepted}) == 2
    assert {r.status for r in sub_rows(sub)} == {"sent"}


def test_internal_note_and_unsubscribed_events_send_nothing(napp, hook):
    sub = subscribe(hook, events=["request.created"])
    sreq = submitted()
    drain(now=OPEN)
    assert len(hook.accepted) == 1
    liaison = make_liaison("西播磨")
    sreq = db.session.get(SupportRequest, sreq.id)
    add_comment(sreq, liaison, "内部メモ:予算の見込み", internal=True, now=OPEN)
    apply_action(sreq, "triage", liaison, now=OPEN)  # request.state_changed: not subscribed
    db.session.commit()
    assert len(sub_rows(sub)) == 1
    drain(now=LATER)
    assert hook.attempts == 1 and len(hook.accepted) == 1


def test_receiver_500_then_recovers_delivers_exactly_once(napp, hook):
    sub = subscribe(hook, events=["request.created"])
    submitted()
    hook.fail = True
    assert dispatch_due(now=OPEN)["retry"] == 1
    [row] = sub_rows(sub)
    assert row.status == "pending" and row.attempts == 1 and "HTTP 500" in row.last_error
    assert row.next_attempt_at > OPEN
    hook.fail = False
    drain(now=LATER)
    drain(now=LATER + timedelta(days=1))
    assert len(hook.accepted) == 1 and hook.attempts == 2
    headers, _ = hook.accepted[0]
    assert headers["X-Supportdesk-Delivery"].endswith("-try-2")
    db.session.expire_all()
    assert row.status == "sent" and row.attempts == 2 and row.last_error is None


def test_secret_rotated_between_enqueue_and_send_signs_with_the_new_one(napp, hook):
    sub = subscribe(hook, events=["request.created"])
    old = sub.secret
    submitted()
    new = rotate_webhook_secret(make_user("admin"), sub, now=OPEN)
    db.session.commit()
    hook.secret = new
    drain(now=OPEN)
    assert hook.bad == 0 and len(hook.accepted) == 1
    headers, body = hook.accepted[0]
    stale = "sha256=" + hmac.new(old.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Supportdesk-Signature"] != stale


def test_rows_roll_back_with_their_cause(napp, hook):
    sub = subscribe(hook)
    staff = make_staff("佐用町")
    sreq = make_request(staff, state="draft")
    apply_action(sreq, "submit", staff, now=OPEN)
    # Announced when the unit of work commits, not in the middle of it: nothing is written yet.
    assert sub_rows(sub) == [] and [e.event_type for e in pending_events()] == ["request.submit"]
    db.session.rollback()
    assert sub_rows(sub) == [] and pending_events() == []
    db.session.commit()  # the rolled-back unit of work left nothing to announce
    assert sub_rows(sub) == []
    drain(now=OPEN)
    assert hook.attempts == 0


def test_inactive_or_deleted_subscription_drops_the_row(napp, hook):
    admin = make_user("admin")
    off = subscribe(hook, events=["request.created"], name="停止予定")
    gone = subscribe(hook, events=["request.created"], name="削除予定")
    submitted()
    save_webhook(admin, name=off.name, url=off.url, event_types=off.event_types, active=False,
                 subscription=off)
    delete_webhook(admin, gone)
    db.session.commit()
    stats = drain(now=OPEN)
    assert stats["dead"] == 2 and hook.attempts == 0
    for row in db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.event_type == "request.created")):
        assert row.status == "dead" and row.last_error.startswith("dropped:")


def _login(client, user):
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302


def test_delivery_log_page_and_failed_page_with_retry(napp, hook):
    sub = subscribe(hook, events=["request.created"])
    submitted()
    submitted()
    drain(now=OPEN)
    hook.fail = True
    submitted()
    napp.config["NOTIFY_MAX_ATTEMPTS"] = 1
    assert dispatch_due(now=OPEN)["dead"] == 1

    client = napp.test_client()
    # The admin works on this test's timeline (the retry button queues the message "now").
    clock = time_machine.travel(OPEN + timedelta(hours=2), tick=True)
    clock.start()
    _login(client, make_user("admin"))
    page = client.get(f"/admin/webhooks/{sub.id}").get_data(as_text=True)
    assert page.count('data-testid="delivery-row"') == 3
    assert "request.created" in page and "配信済み" in page and "配信停止" in page
    assert "HTTP 500" in page
    assert sub.secret not in page and mask_secret(sub.secret) in page

    failed = client.get("/admin/notifications/failed").get_data(as_text=True)
    [dead] = [r for r in sub_rows(sub) if r.status == "dead"]
    assert f"/admin/notifications/{dead.id}/retry" in failed
    assert f"/admin/webhooks/{sub.id}" in failed  # the row names its subscription
    assert sub.secret not in failed
    hook.fail = False
    assert client.post(f"/admin/notifications/{dead.id}/retry").status_code == 302
    clock.stop()
    drain(now=LATER)
    assert len(hook.accepted) == 3
    db.session.expire_all()
    assert {r.status for r in sub_rows(sub)} == {"sent"}


@pytest.mark.parametrize("role", ["municipal_staff", "liaison", "manager"])
def test_delivery_log_is_admin_only(napp, hook, role):
    sub = subscribe(hook, events=["request.created"])
    client = napp.test_client()
    _login(client, make_user(role))
    resp = client.get(f"/admin/webhooks/{sub.id}")
    assert resp.status_code in (403, 404) and sub.secret not in resp.get_data(as_text=True)


def test_report_ready_carries_only_the_safe_context(napp, hook):
    from supportdesk.notifications import notify

    subscribe(hook, events=["report.ready"])
    make_user("manager")
    notify("report.ready", now=OPEN, period="2026-10",
           snapshot_id=7, secret_note="内部")
    db.session.commit()
    drain(now=OPEN)
    [(headers, body)] = hook.accepted
    envelope = json.loads(body)
    assert envelope["type"] == "report.ready" == headers["X-Supportdesk-Event"]
    assert envelope["data"] == {"period": "2026-10", "snapshot_id": 7}


def test_visit_confirmed_carries_the_request_and_visit_times(napp, hook):
    from supportdesk.notifications import notify

    subscribe(hook, events=["visit.confirmed"])
    sreq = submitted()
    notify("visit.confirmed", sreq=sreq, now=OPEN, visit_id=3, kind="onsite",
           title="庁内のメモ", starts_at="2026-12-01T01:00:00+00:00",
           ends_at="2026-12-01T03:00:00+00:00")
    db.session.commit()
    drain(now=OPEN)
    [(_, body)] = hook.accepted
    data = json.loads(body)["data"]
    assert data["visit_id"] == 3 and data["starts_at"] == "2026-12-01T01:00:00+00:00"
    assert data["request"]["id"] == sreq.id and "title" not in data
