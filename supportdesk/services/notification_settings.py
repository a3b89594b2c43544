"""Notification settings: per-user preferences, the bell (read marks), chat-room administration."""
import ipaddress
import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask_babel import gettext as _

from ..db_writes import write_mark
from ..extensions import db
from ..models import ChatRoom, InAppNotification, NotificationPreference, OutboxMessage
from ..models.notification import ROOM_SCOPES, OutboxStatus
from ..notifications.channels.webhook import FORMATS
from ..timeutil import utcnow
from . import ValidationFailed
from .audit import record_audit

logger = logging.getLogger(__name__)
PREF_CHANNELS = ("inapp", "email")


def save_preferences(user, enabled, digest, event_types):
    """`enabled`: set of (event_type, channel) the user wants; others are switched off."""
    existing = {(p.event_type, p.channel): p for p in db.session.scalars(
        sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for event_type in event_types:
        for channel in PREF_CHANNELS:
            on = (event_type, channel) in enabled
            pref = existing.get((event_type, channel))
            if pref is None:
                if on:
                    continue  # the default is on: no row needed
                pref = NotificationPreference(user_id=user.id, event_type=event_type,
                                              channel=channel)
                db.session.add(pref)
            pref.enabled = on
    star = existing.get(("*", "email"))
    if star is None:
        star = NotificationPreference(user_id=user.id, event_type="*", channel="email")
        db.session.add(star)
    star.digest = bool(digest)
    db.session.flush()


def mark_read(user, notification_id=None, now=None):
    """Mark one (or, without an id, every) unread notification of `user` as read."""
    now = now or utcnow()
    stmt = sa.update(InAppNotification).where(InAppNotification.user_id == user.id,
                                              InAppNotification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(InAppNotification.id == notification_id)
    result = db.session.execute(stmt.values(read_at=now))
    return result.rowcount


def unread_count_of(user_id):
    """The bell's number for `user_id` (a value or a column) as a scalar subquery: the session
    lookup reads it in its own statement (services/accounts/auth.py), one round trip fewer on
    every page."""
    return (sa.select(sa.func.count()).select_from(InAppNotification)
            .where(InAppNotification.user_id == user_id, InAppNotification.read_at.is_(None))
            .scalar_subquery())


def remember_unread_count(user_id, count):
    """Keep the count the session lookup read, for this request's bell."""
    if has_request_context():
        g._unread_count = (user_id, count, write_mark())


def unread_count(user):
    """The user's unread in-app notifications. In a request, the count read with the session
    lookup is used while no statement has written since (a page that marks notifications read
    or adds one, then renders, counts again); the next request reads it afresh."""
    known = g.get("_unread_count") if has_request_context() else None
    if known is not None and known[0] == user.id and known[2] == write_mark():
        return known[1]
    return db.session.scalar(sa.select(sa.func.count()).select_from(InAppNotification).where(
        InAppNotification.user_id == user.id, InAppNotification.read_at.is_(None)))


def _check_url(url):
    config = current_app.config
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if config.get("CHAT_WEBHOOK_ALLOW_HTTP") else ("https",)
    if parts.scheme not in allowed_schemes or not parts.hostname:
        raise ValidationFailed(_("Webhook URLは https:// で始まるURLを入力してください。"),
                               field="webhook_url")
    if parts.username or parts.password:
        raise ValidationFailed(_("URLに利用者名やパスワードを含めないでください。"),
                               field="webhook_url")
    hosts = config.get("CHAT_WEBHOOK_ALLOWED_HOSTS") or ()
    if hosts and parts.hostname not in hosts:
        raise ValidationFailed(_("このホストへの送信は許可されていません。"), field="webhook_url")
    if not hosts and not config.get("CHAT_WEBHOOK_ALLOW_HTTP"):
        try:
            ip = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return
        if ip.is_loopback or ip.is_link_local or ip.is_private:
            raise ValidationFailed(_("このホストへの送信は許可されていません。"), field="webhook_url")


def save_chat_room(actor, room, *, name, scope, municipality_id, region_id, webhook_url, secret,
                   format, active, now=None):
    """Create (room=None) or update a room. A blank URL or secret on edit keeps the stored one."""
    if scope not in ROOM_SCOPES:
        raise ValidationFailed(_("種類を選んでください。"), field="scope")
    if format not in FORMATS:
        raise ValidationFailed(_("メッセージ形式を選んでください。"), field="format")
    if scope == "municipality" and not municipality_id:
        raise ValidationFailed(_("市町を選んでください。"), field="municipality_id")
    if scope == "region" and not region_id:
        raise ValidationFailed(_("圏域を選んでください。"), field="region_id")
    webhook_url = (webhook_url or "").strip()
    if room is None and not webhook_url:
        raise ValidationFailed(_("Webhook URLを入力してください。"), field="webhook_url")
    if webhook_url:
        _check_url(webhook_url)
    created = room is None
    if created:
        room = ChatRoom(webhook_url=webhook_url)
        db.session.add(room)
    room.name, room.scope, room.format, room.active = name.strip(), scope, format, bool(active)
    room.municipality_id = municipality_id if scope == "municipality" else None
    room.region_id = region_id if scope == "region" else None
    if webhook_url:
        room.webhook_url = webhook_url
    if secret:
        room.secret = secret
    db.session.flush()
    # Never the URL or the secret in the audit log: only that they changed.
    record_audit("chat_room.create" if created else "chat_room.update", actor=actor, target=room,
                 now=now, url_changed=bool(webhook_url), secret_changed=bool(secret))
    return room


def delete_chat_room(actor, room, now=None):
    """Rooms with messages are deactivated instead (the outbox keeps pointing at them)."""
    from ..models import OutboxMessage

    used = db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.room_id == room.id)
                             .limit(1))
    record_audit("chat_room.delete", actor=actor, target=room, now=now, deactivated=bool(used))
    if used:
        room.active = False
    else:
        db.session.delete(room)
    db.session.flush()


def failed_messages(limit=200):
    """Dead-lettered messages, and pending ones that have already failed at least once, newest
    first, with the count of messages in each state."""
    rows = db.session.scalars(sa.select(OutboxMessage).where(sa.or_(
        OutboxMessage.status == OutboxStatus.DEAD.value,
        sa.and_(OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.attempts > 0)))
        .order_by(OutboxMessage.id.desc()).limit(limit)).all()
    counts = dict(db.session.execute(sa.select(OutboxMessage.status, sa.func.count())
                                     .group_by(OutboxMessage.status)).all())
    return rows, counts


def retry_message(msg, actor, now=None):
    """Put a dead or failing message back in the queue now (admin's retry button)."""
    now = now or utcnow()
    if msg.status not in (OutboxStatus.DEAD, OutboxStatus.PENDING):
        return False
    msg.status, msg.next_attempt_at, msg.claimed_by = OutboxStatus.PENDING.value, now, None
    msg.attempts = 0
    record_audit("notification.retry", actor=actor, target=msg, now=now, channel=msg.channel)
    db.session.flush()
    return True
