"""Outgoing webhook subscriptions: admins register receiver URLs for event types (which events
exist and who receives them is notifications/subscriptions.py)."""
import logging
import secrets
from urllib.parse import urlsplit

from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import WebhookSubscription
from ..notifications.subscriptions import WEBHOOK_EVENTS
from ..timeutil import utcnow
from . import ValidationFailed
from .audit import record_audit

logger = logging.getLogger(__name__)

def new_secret():
    return "whsec_" + secrets.token_urlsafe(32)


def mask_secret(secret):
    """whsec_AbCd…wxyz: enough to tell secrets apart, never enough to sign."""
    if not secret or len(secret) < 16:
        return "••••"
    return f"{secret[:10]}…{secret[-4:]}"


def _check(name, url, event_types):
    name, url = (name or "").strip(), (url or "").strip()
    if not name:
        raise ValidationFailed(_("名前を入力してください。"), field="name")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500 \
            or parts.username or parts.password:
        raise ValidationFailed(_("http:// または https:// で始まるURLを入力してください"
                                 "(認証情報はURLに含めないでください)。"), field="url")
    unknown = [e for e in event_types or [] if e not in WEBHOOK_EVENTS]
    if unknown or not event_types:
        raise ValidationFailed(_("通知するイベントを1つ以上選んでください。"), field="event_types")
    return name, url, sorted(set(event_types))


def save_webhook(actor, *, name, url, event_types, active=True, subscription=None, now=None):
    """Create (subscription=None; a secret is generated) or change a subscription."""
    now = now or utcnow()
    permissions.require(actor, "manage", "webhook")
    name, url, event_types = _check(name, url, event_types)
    created = subscription is None
    if created:
        subscription = WebhookSubscription(secret=new_secret(), created_by_id=actor.id,
                                           created_at=now)
        db.session.add(subscription)
    subscription.name, subscription.url = name, url
    subscription.event_types, subscription.active = event_types, bool(active)
    subscription.updated_at = now
    db.session.flush()
    record_audit("webhook.created" if created else "webhook.updated", actor=actor,
                 target=subscription, now=now, url=url, events=event_types, active=bool(active))
    logger.info("webhook %s %s by user %s", subscription.id, "created" if created else "updated",
                actor.id)
    return subscription


def rotate_webhook_secret(actor, subscription, *, now=None):
    """A new secret (the old one stops working at once); returns it for the one-time display."""
    permissions.require(actor, "manage", "webhook")
    subscription.secret = new_secret()
    subscription.updated_at = now or utcnow()
    db.session.flush()
    record_audit("webhook.secret_rotated", actor=actor, target=subscription, now=now)
    return subscription.secret


def delete_webhook(actor, subscription, *, now=None):
    permissions.require(actor, "manage", "webhook")
    record_audit("webhook.deleted", actor=actor, target=subscription, now=now,
                 url=subscription.url)
    db.session.delete(subscription)
    db.session.flush()
