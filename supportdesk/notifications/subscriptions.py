"""Outgoing webhook subscriptions in the outbox: notify() enqueues one row per event and
subscription; the dispatcher sends those stored bytes signed with the subscription's current secret.

No extra column: a subscription row is an OutboxMessage with channel "webhook", no room, the
subscription id in payload["subscription_id"] and the signed JSON body in .body. Its idempotency
key is webhook_signing.idempotency_key(event_id, subscription_id), which also finds a
subscription's rows for the delivery log.
"""
import uuid

import sqlalchemy as sa

from flask_babel import lazy_gettext as _l

from ..extensions import db
from .webhook_signing import (announcement_data, build_payload, idempotency_key, request_data,
                              visit_data)

# Event types a subscriber may choose.
WEBHOOK_EVENTS = {
    "request.created": _l("新しい依頼の受付(提出)"),
    "request.state_changed": _l("依頼の状態の変更"),
    "request.reply": _l("依頼への返信"),
    "visit.confirmed": _l("訪問の確定"),
    "visit.moved": _l("訪問日時の変更(延期)"),
    "visit.cancelled": _l("訪問の中止"),
    "engagement.opened": _l("伴走支援の開始"),
    "engagement.closed": _l("伴走支援の終了"),
    "round.recorded": _l("定期巡回の記録"),
    "round.due": _l("定期巡回の時期"),
    "round.overdue": _l("定期巡回の期限超過"),
    "announcement.published": _l("お知らせの配信"),
    "report.ready": _l("月次報告の確定"),
}
# notify() event types that reach subscribers under their own name.
_AS_IS = frozenset(WEBHOOK_EVENTS) - {"request.created", "request.state_changed"}
# Events notify() records once per audience group (an announcement once per municipality room)
# that are still ONE event for a subscriber: their event id comes from the object, so the
# deliveries after the first have the same idempotency key and are dropped.
_ONCE_PER_OBJECT = {"announcement.published": "announcement"}
# Actions of the state machine; notify() is called with "request.<action>" for each.
_ACTIONS = ("submit", "triage", "select_experts", "schedule", "deliver", "answer", "close", "hold",
            "resume", "withdraw", "decline", "reopen")


def webhook_events_for(event_type):
    """The webhook event types a notify() event type fans out to. Drafts never leave the desk
    (a request is "created" for subscribers when it is submitted) and internal notes
    (request.note) never go out."""
    if event_type == "request.submit":
        return ("request.created", "request.state_changed")
    if event_type.startswith("request.") and event_type[len("request."):] in _ACTIONS:
        return ("request.state_changed",)
    if event_type in _AS_IS:
        return (event_type,)
    return ()



def webhook_recipients(event_type):
    """The active subscriptions that want `event_type`. Subscriptions are few, so the event
    filter runs in Python (portable across SQLite and PostgreSQL JSON)."""
    from ..models import WebhookSubscription

    rows = db.session.scalars(sa.select(WebhookSubscription).where(
        WebhookSubscription.active.is_(True)).order_by(WebhookSubscription.id)).all()
    return [s for s in rows if event_type in (s.event_types or [])]


# Context keys a subscriber may see (visits, engagements, rounds, reports). Never titles, notes,
# reasons or bodies: a receiver reads more through the API with its own token.
SAFE_CONTEXT = ("visit_id", "kind", "starts_at", "ends_at", "state", "period", "snapshot_id",
                "previous_visit_id", "previous_starts_at", "engagement_id", "round_record_id",
                "municipality_code", "region", "due_on", "last_round_on")


def _data(sreq, context, visit=None, announcement=None):
    data = {k: context[k] for k in SAFE_CONTEXT if context.get(k) is not None}
    if sreq is not None:
        data["request"] = request_data(sreq)
    if visit is not None:
        data["visit"] = visit_data(visit)
    if announcement is not None:
        data["announcement"] = announcement_data(announcement)
    if context.get("engagement_id") is not None:
        data["engagement_url"] = f"/api/v1/engagements/{context['engagement_id']}"
    if context.get("round_record_id") is not None:
        data["round_record_url"] = f"/api/v1/round-records/{context['round_record_id']}"
    return data


def _event_id(hook_event, event_key, objects):
    kind = _ONCE_PER_OBJECT.get(hook_event)
    obj = objects.get(kind) if kind else None
    key = f"{kind}:{obj.id}" if obj is not None else event_key
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{key}:{hook_event}").hex


def subscription_messages(event_type, *, sreq, now, event_key, context, visit=None,
                          announcement=None):
    """Unsaved OutboxMessage rows for every subscription that wants what `event_type` maps to.
    The event id is derived from event_key (or the object, _ONCE_PER_OBJECT), so re-enqueuing
    the same event is a no-op."""
    from ..models import OutboxMessage

    out = []
    for hook_event in webhook_events_for(event_type):
        subs = webhook_recipients(hook_event)
        if not subs:
            continue
        event_id = _event_id(hook_event, event_key, {"announcement": announcement})
        body = build_payload(hook_event, event_id=event_id, occurred_at=now,
                             data=_data(sreq, context, visit, announcement)).decode("utf-8")
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
