"""Chat webhooks: a registry of message formats and an HMAC-signed HTTP POST.

Signature: X-Supportdesk-Signature: sha256=HMAC_SHA256(secret, "<timestamp>." + raw body),
X-Supportdesk-Timestamp: <unix seconds>. The idempotency key travels as Idempotency-Key and
X-Supportdesk-Delivery so the receiver can drop a re-send. Redirects are not followed.
Adding a format = one small class registered with @register_format.
"""
import hashlib
import hmac
import json
import socket
import time
import urllib.error
import urllib.request

from ...i18n import N_
from . import DeliveryError

FORMATS = {}


def register_format(cls):
    FORMATS[cls.name] = cls()
    return cls


@register_format
class GenericJson:
    name = "generic_json"
    label = N_("汎用JSON")
    content_type = "application/json"

    def body(self, msg):
        return json.dumps({"event": msg["event_type"], "delivery_id": msg["idempotency_key"],
                           "subject": msg["subject"], "text": msg["body"], "link": msg["link"],
                           "data": msg.get("payload") or {}}, ensure_ascii=False).encode()


@register_format
class LogoText:
    """LoGoチャット-style: the plain Japanese text of the message, nothing else."""

    name = "logo_text"
    label = N_("LoGoチャット形式(テキスト)")
    content_type = "text/plain; charset=utf-8"

    def body(self, msg):
        return msg["body"].encode()


def sign(secret, timestamp, body):
    mac = hmac.new((secret or "").encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)
TRANSIENT_STATUS = {408, 425, 429}


def post(req, timeout, name):
    """Send `req` without following redirects: the HTTP status, or DeliveryError when nothing
    answered. The error names `name`, never the URL: the URL is a credential."""
    try:
        with _opener.open(req, timeout=timeout) as resp:
            resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (urllib.error.URLError, socket.timeout, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{name}: {type(reason).__name__}") from None
    return status


def send(msg, config):
    room = msg["room"]
    fmt = FORMATS[room["format"]]
    body = fmt.body(msg)
    timestamp = str(int(time.time()))
    req = urllib.request.Request(room["webhook_url"], data=body, method="POST", headers={
        "Content-Type": fmt.content_type,
        "User-Agent": "supportdesk-dispatcher",
        "Idempotency-Key": msg["idempotency_key"],
        "X-Supportdesk-Delivery": msg["idempotency_key"],
        "X-Supportdesk-Event": msg["event_type"],
        "X-Supportdesk-Timestamp": timestamp,
        "X-Supportdesk-Signature": sign(room["secret"], timestamp, body),
    })
    status = post(req, config["NOTIFY_HTTP_TIMEOUT"], f"webhook room {room['id']}")
    if 200 <= status < 300:
        return
    # A redirect is a misconfigured room (we never follow one): as permanent as a 404.
    permanent = 300 <= status < 500 and status not in TRANSIENT_STATUS
    raise DeliveryError(f"webhook room {room['id']}: HTTP {status}", permanent=permanent)
