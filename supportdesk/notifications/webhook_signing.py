"""Webhook payloads and signatures: pure functions (no database, no Flask, no network) that the
outbox's webhook channel uses to build and sign each delivery, and receivers can copy to verify."""
import hashlib
import hmac
import json

SIGNATURE_HEADER = "X-Supportdesk-Signature"
EVENT_HEADER = "X-Supportdesk-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DELIVERY_HEADER = "X-Supportdesk-Delivery"


def sign(secret, body):
    """'sha256=<hex>' of HMAC-SHA256 over the raw body bytes, keyed with the subscription secret."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret, body, signature):
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), signature or "")


def idempotency_key(event_id, subscription_id):
    """Stable for one event and one subscriber, so retries of a delivery carry the same key and
    a receiver can drop duplicates."""
    return f"evt-{event_id}-sub-{subscription_id}"


def request_data(sreq):
    """What a subscriber learns about a request: no body text, no conversation, no internal notes
    (those stay in the desk; a receiver fetches more through the API with its own token)."""
    return {
        "id": sreq.id, "number": sreq.number, "kind": sreq.kind, "origin": sreq.origin,
        "state": sreq.state, "title": sreq.title,
        "municipality_code": sreq.municipality.code if sreq.municipality else None,
        "region_id": sreq.region_id,
        "submitted_at": sreq.submitted_at.isoformat() if sreq.submitted_at else None,
        "url": f"/api/v1/requests/{sreq.id}",
    }


def visit_data(visit):
    """What a subscriber learns about a visit: when, what kind, its state and where; no title,
    venue, online details or cancel reason (the desk's own words stay in the desk)."""
    return {
        "id": visit.id, "kind": visit.kind, "state": visit.state,
        "starts_at": visit.starts_at.isoformat(), "ends_at": visit.ends_at.isoformat(),
        "municipality_codes": sorted(m.code for m in visit.municipalities),
        "url": f"/api/v1/visits/{visit.id}",
    }


def announcement_data(announcement):
    """What a subscriber learns about a published announcement (the body is read through the
    API, where the municipality's own staff see it)."""
    return {
        "id": announcement.id, "title": announcement.title, "category": announcement.category,
        "sent_at": announcement.sent_at.isoformat() if announcement.sent_at else None,
        "url": f"/api/v1/announcements/{announcement.id}",
    }


def build_payload(event_type, *, event_id, occurred_at, data):
    """The JSON body, as bytes: exactly these bytes are signed and sent."""
    envelope = {"id": str(event_id), "type": event_type, "occurred_at": occurred_at.isoformat(),
                "data": data}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


def delivery_headers(secret, event_type, body, *, event_id, subscription_id, attempt=1):
    """Every header of one delivery attempt."""
    key = idempotency_key(event_id, subscription_id)
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "supportdesk-webhooks/1",
        SIGNATURE_HEADER: sign(secret, body),
        EVENT_HEADER: event_type,
        IDEMPOTENCY_HEADER: key,
        DELIVERY_HEADER: f"{key}-try-{attempt}",
    }
