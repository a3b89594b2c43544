"""Outgoing webhooks: subscriptions (service and admin pages), recipients per event, and the
pure payload and signing functions, checked end to end against a real loopback HTTP receiver."""
import hashlib
import hmac
import json
import re
import threading
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import AuditLog, WebhookSubscription
from supportdesk.permissions import PermissionDenied
from supportdesk.services import ValidationFailed
from supportdesk.notifications.webhook_signing import (build_payload, delivery_headers,
                                                  idempotency_key, request_data, sign, verify)
from supportdesk.notifications.subscriptions import webhook_recipients
from supportdesk.services.webhooks import mask_secret, rotate_webhook_secret, save_webhook
from tests.factories import make_liaison, make_request, make_staff, make_user

AT = datetime(2026, 4, 1, 1, 2, 3, tzinfo=UTC)


def test_signature_is_hmac_sha256_over_the_raw_body():
    body = build_payload("request.created", event_id=42, occurred_at=AT,
                         data={"title": "電子申請の相談"})
    expected = hmac.new(b"whsec_test", body, hashlib.sha256).hexdigest()
    assert sign("whsec_test", body) == f"sha256={expected}"
    assert verify("whsec_test", body, sign("whsec_test", body))
    assert not verify("whsec_other", body, sign("whsec_test", body))
    assert not verify("whsec_test", body + b" ", sign("whsec_test", body))
    assert not verify("whsec_test", body, None)


def test_payload_is_stable_utf8_json():
    body = build_payload("request.state_changed", event_id=7, occurred_at=AT,
                         data={"state": "triage", "title": "相談"})
    assert body == build_payload("request.state_changed", event_id=7, occurred_at=AT,
                                 data={"title": "相談", "state": "triage"})
    assert "相談".encode() in body  # not \u-escaped
    envelope = json.loads(body)
    assert envelope == {"id": "7", "type": "request.state_changed",
                        "occurred_at": "2026-04-01T01:02:03+00:00",
                        "data": {"state": "triage", "title": "相談"}}


def test_delivery_headers_carry_event_signature_and_a_stable_idempotency_key():
    body = b'{"a":1}'
    first = delivery_headers("s3cret-s3cret-s3cret", "report.ready", body, event_id=9,
                             subscription_id=3)
    retry = delivery_headers("s3cret-s3cret-s3cret", "report.ready", body, event_id=9,
                             subscription_id=3, attempt=2)
    assert first["X-Supportdesk-Event"] == "report.ready"
    assert first["X-Supportdesk-Signature"] == sign("s3cret-s3cret-s3cret", body)
    assert first["Idempotency-Key"] == retry["Idempotency-Key"] == idempotency_key(9, 3)
    assert first["X-Supportdesk-Delivery"] != retry["X-Supportdesk-Delivery"]
    assert idempotency_key(9, 4) != idempotency_key(9, 3)


def test_request_data_leaves_out_body_and_conversation(app):
    sreq = make_request(make_staff("佐用町"), title="件名だけ", body="本文は出さない")
    data = request_data(sreq)
    assert data["title"] == "件名だけ" and data["municipality_code"] == "28501"
    assert "本文は出さない" not in json.dumps(data, ensure_ascii=False)
    assert data["url"] == f"/api/v1/requests/{sreq.id}"


class _Receiver(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Receiver.received
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_signed_delivery_verifies_at_a_real_receiver(app, receiver):
    url, received = receiver
    admin = make_user("admin")
    sub = save_webhook(admin, name="kintone連携", url=url, event_types=["request.created"])
    db.session.commit()
    sreq = make_request(make_staff("佐用町"), title="受信テスト")
    body = build_payload("request.created", event_id=1, occurred_at=AT, data=request_data(sreq))
    headers = delivery_headers(sub.secret, "request.created", body, event_id=1,
                               subscription_id=sub.id)
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 204
    got_headers, got_body = received[0]
    # The receiver's own check, written independently of the desk's code.
    mac = hmac.new(sub.secret.encode(), got_body, hashlib.sha256).hexdigest()
    assert got_headers["X-Supportdesk-Signature"] == f"sha256={mac}"
    assert got_headers["X-Supportdesk-Event"] == "request.created"
    assert got_headers["Idempotency-Key"] == idempotency_key(1, sub.id)
    assert json.loads(got_body)["data"]["title"] == "受信テスト"


def test_recipients_are_the_active_subscriptions_for_the_event(app):
    admin = make_user("admin")
    both = save_webhook(admin, name="A", url="https://a.example.jp/h",
                        event_types=["request.created", "visit.confirmed"])
    only = save_webhook(admin, name="B", url="https://b.example.jp/h", event_types=["report.ready"])
    off = save_webhook(admin, name="C", url="https://c.example.jp/h",
                       event_types=["request.created"], active=False)
    db.session.commit()
    assert webhook_recipients("request.created") == [both]
    assert webhook_recipients("report.ready") == [only]
    assert webhook_recipients("request.reply") == []
    save_webhook(admin, name="C", url=off.url, event_types=["request.created"], active=True,
                 subscription=off)
    assert webhook_recipients("request.created") == [both, off]


def test_service_validates_and_only_admins_manage(app):
    admin = make_user("admin")
    for url in ("javascript:alert(1)", "ftp://x.example.jp/", "https://user:pw@x.example.jp/", ""):
        with pytest.raises(ValidationFailed) as exc:
            save_webhook(admin, name="x", url=url, event_types=["request.created"])
        assert exc.value.field == "url"
    with pytest.raises(ValidationFailed) as exc:
        save_webhook(admin, name="x", url="https://x.example.jp/", event_types=[])
    assert exc.value.field == "event_types"
    with pytest.raises(ValidationFailed):
        save_webhook(admin, name="x", url="https://x.example.jp/", event_types=["nope"])
    for user in (make_liaison(), make_staff(), make_user("manager")):
        with pytest.raises(PermissionDenied):
            save_webhook(user, name="x", url="https://x.example.jp/", event_types=["report.ready"])
    sub = save_webhook(admin, name="x", url="https://x.example.jp/", event_types=["report.ready"])
    old = sub.secret
    assert rotate_webhook_secret(admin, sub) != old and sub.secret != old
    masked = mask_secret(sub.secret)
    assert masked.endswith(sub.secret[-4:]) and sub.secret not in masked
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"webhook.created", "webhook.secret_rotated"} <= actions
    logs = db.session.scalars(sa.select(AuditLog)).all()
    assert all(sub.secret not in json.dumps(a.detail or {}) for a in logs)


def test_admin_pages_create_mask_rotate_delete(app, client, login_as):
    login_as(make_user("admin"))
    assert client.get("/admin/webhooks/").status_code == 200
    bad = client.post("/admin/webhooks/new", data={"name": "受信", "url": "javascript:x",
                                                   "event_types": ["request.created"]})
    text = bad.get_data(as_text=True)
    assert "https:// で始まるURL" in text and 'value="javascript:x"' in text
    created = client.post("/admin/webhooks/new", data={
        "name": "LoGo連携", "url": "https://logo.example.jp/hook",
        "event_types": ["request.created", "request.state_changed"], "active": "y"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    secret = re.search(r'data-testid="webhook-secret">([^<]+)<', html).group(1)
    sub = db.session.scalar(sa.select(WebhookSubscription))
    assert sub.secret == secret and sub.event_types == ["request.created", "request.state_changed"]
    listing = client.get("/admin/webhooks/").get_data(as_text=True)
    assert "https://logo.example.jp/hook" in listing and secret not in listing
    assert mask_secret(secret) in listing
    edit = client.get(f"/admin/webhooks/{sub.id}").get_data(as_text=True)
    assert secret not in edit and mask_secret(secret) in edit
    saved = client.post(f"/admin/webhooks/{sub.id}", data={
        "name": "LoGo連携", "url": "https://logo.example.jp/hook2", "event_types": ["report.ready"]})
    assert saved.status_code == 302
    db.session.expire_all()
    sub = db.session.get(WebhookSubscription, sub.id)
    assert sub.url.endswith("hook2") and sub.active is False and sub.secret == secret
    rotated = client.post(f"/admin/webhooks/{sub.id}/rotate").get_data(as_text=True)
    db.session.expire_all()
    new_secret = db.session.get(WebhookSubscription, sub.id).secret
    assert new_secret != secret and new_secret in rotated
    assert client.post(f"/admin/webhooks/{sub.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookSubscription)) == 0
    assert client.get("/admin/webhooks/999").status_code == 404


@pytest.mark.parametrize("role", ["municipal_staff", "liaison", "expert", "manager"])
def test_admin_pages_refuse_other_roles(app, client, login_as, role):
    login_as(make_user(role))
    assert client.get("/admin/webhooks/").status_code == 403
    assert client.post("/admin/webhooks/new", data={"name": "x"}).status_code == 403


def test_notify_events_map_to_webhook_events():
    from supportdesk.notifications.subscriptions import WEBHOOK_EVENTS, webhook_events_for

    assert webhook_events_for("request.submit") == ("request.created", "request.state_changed")
    assert webhook_events_for("request.triage") == ("request.state_changed",)
    assert webhook_events_for("request.withdraw") == ("request.state_changed",)
    assert webhook_events_for("request.reply") == ("request.reply",)
    assert webhook_events_for("report.ready") == ("report.ready",)
    assert webhook_events_for("visit.confirmed") == ("visit.confirmed",)
    # Internal notes, routing and follower notices stay inside the desk.
    for internal in ("request.note", "request.routed", "request.info_dept_shared",
                     "expert.assigned"):
        assert webhook_events_for(internal) == ()
    # Visits, engagements, rounds and announcements reach subscribers under their own names
    # (tests/test_webhook_events.py delivers each).
    as_is = ("visit.confirmed", "visit.moved", "visit.cancelled", "engagement.opened",
             "engagement.closed", "round.recorded", "round.due", "round.overdue",
             "announcement.published")
    mapped = {e for n in ("request.submit", "request.reply", "report.ready", *as_is)
              for e in webhook_events_for(n)}
    assert mapped == set(WEBHOOK_EVENTS)
