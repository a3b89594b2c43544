"""Outgoing webhook subscriptions in the outbox: notify() enqueues one row per event and
subscription; the dispatcher sends those stored bytes signed with the subscription's current secret.

No extra column: a subscription row is an OutboxMessage with channel "webhook", no room, the
subscription id in payload["subscription_id"] and the signed JSON body in .body. Its idempotency
key is webhook_signing.idempotency_key(event_id, subscription_id), which also finds a
subscription's rows for the delivery log.
"""
import uuid

import sqlalchemy as sa

from ..extensions import db
from ..services.webhook_signing import build_payload, idempotency_key, request_data
from ..services.webhooks import webhook_events_for, webhook_recipients

# Context keys a subscriber may see for events without a request body (visits, reports).
SAFE_CONTEXT = ("visit_id", "kind", "starts_at", "ends_at", "state", "period", "snapshot_id")


def _data(sreq, context):
    data = {k: context[k] for k in SAFE_CONTEXT if context.get(k) is not None}
    if sreq is not None:
        data["request"] = request_data(sreq)
    return data


def subscription_messages(event_type, *, sreq, now, event_key, context):
    """Unsaved OutboxMessage rows for every subscription that wants what `event_type` maps to.
    The event id is derived from event_key, so re-enqueuing the same event is a no-op."""
    from ..models import OutboxMessage

    out = []
    for hook_event in webhook_events_for(event_type):
        subs = webhook_recipients(hook_event)
        if not subs:
            continue
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{event_key}:{hook_event}").hex
        body = build_payload(hook_event, event_id=event_id, occurred_at=now,
                             data=_data(sreq, context)).decode("utf-8")
        for sub in subs:
            out.append(OutboxMessage(
                event_type=hook_event, channel="webhook",
                subject=f"{hook_event} → {sub.name}"[:300],
                body=body, payload={"subscription_id": sub.id, "event_id": event_id},
                idempotency_key=idempotency_key(event_id, sub.id), next_attempt_at=now,
                created_at=now, request_id=getattr(sreq, "id", None)))
    return out


def is_subscription_row(row):
    return row["room_id"] is None and "subscription_id" in (row["payload"] or {})


def subscription_snapshots(conn, rows):
    """{subscription id: dict(url, secret, active)} read at claim time: the CURRENT secret."""
    from ..models import WebhookSubscription

    ids = {r["payload"]["subscription_id"] for r in rows if is_subscription_row(r)}
    if not ids:
        return {}
    W = WebhookSubscription.__table__
    return {s["id"]: dict(id=s["id"], url=s["url"], secret=s["secret"], active=s["active"])
            for s in conn.execute(sa.select(W.c.id, W.c.url, W.c.secret, W.c.active)
                                  .where(W.c.id.in_(ids))).mappings()}


def delivery_log(subscription, limit=50):
    """The most recent outbox rows of one subscription, newest first."""
    from ..models import OutboxMessage

    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.channel == "webhook", OutboxMessage.room_id.is_(None),
        OutboxMessage.idempotency_key.like(f"evt-%-sub-{subscription.id}"))
        .order_by(OutboxMessage.id.desc()).limit(limit)).all()
