"""Outgoing webhook subscriptions: POST the stored payload bytes, signed with the current secret."""
import urllib.request

from ..webhook_signing import delivery_headers
from . import DeliveryError
from .webhook import post


def send(msg, config):
    sub = msg["subscription"]
    body = msg["body"].encode("utf-8")  # exactly the bytes built (and stored) at enqueue time
    headers = delivery_headers(sub["secret"], msg["event_type"], body,
                               event_id=msg["payload"]["event_id"], subscription_id=sub["id"],
                               attempt=msg["attempts"] + 1)
    req = urllib.request.Request(sub["url"], data=body, method="POST", headers=headers)
    status = post(req, config["NOTIFY_HTTP_TIMEOUT"], f"webhook subscription {sub['id']}")
    if 200 <= status < 300:
        return
    # Anything but 2xx retries with backoff until NOTIFY_MAX_ATTEMPTS: a receiver answering 401
    # may just not have its new secret yet after a rotation.
    raise DeliveryError(f"webhook subscription {sub['id']}: HTTP {status}")
