"""In-app channel: an outbox row for the bell becomes an InAppNotification (notify usually
writes those directly; this covers rows enqueued for the inapp channel)."""


def send(msg, config):
    from ...extensions import db
    from ...models import InAppNotification

    db.session.add(InAppNotification(
        user_id=msg["user_id"], event_type=msg["event_type"], title=msg["subject"],
        body=msg["body"], link=msg["link"], idempotency_key=msg["idempotency_key"],
        request_id=msg.get("request_id"), announcement_id=msg.get("announcement_id")))
    db.session.commit()
