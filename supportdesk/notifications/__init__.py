"""The one notification path. `notify` is what every service calls: it resolves who hears the event
(audiences.WHO_HEARS + preferences), renders the messages now and adds OutboxMessage and
InAppNotification rows to the caller's transaction, so a rollback removes them. Only the
dispatcher (outbox.py) talks to SMTP or a webhook.

Jobs for the scheduler (each safe to run twice): outbox.dispatch_due(now) every ~30 s (it commits
its own work), digest.send_digests(now) once a day before 17:15 JST, and
services.announcements.send_due_announcements(now) every minute (those two flush; the job commits).
"""
import logging
import uuid

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..timeutil import utcnow
from .audiences import ACCOUNT_EVENTS, URGENT_EVENTS, audiences_for, resolve
from .office_hours import next_opening
from .render import chat_facts, link_for, render_chat, render_email

logger = logging.getLogger(__name__)

USER_CHANNELS = ("inapp", "email")


def _default_link(sreq, visit, announcement):
    if announcement is not None:
        return f"/announcements/{announcement.id}"
    if sreq is not None:
        return f"/requests/{sreq.id}"
    if visit is not None:
        return f"/visits/{visit.id}"
    return None


def _event_key(event_type, sreq):
    # The 情報部門 share happens once per request, whoever triggers it.
    if event_type == "request.info_dept_shared" and sreq is not None:
        return f"{event_type}:{sreq.id}"
    ref = f"{sreq.id}:" if sreq is not None else ""
    return f"{event_type}:{ref}{uuid.uuid4().hex}"


def preferences_for(user_ids):
    """{user_id: {(event_type, channel): NotificationPreference}} in one query."""
    from ..models import NotificationPreference

    out = {uid: {} for uid in user_ids}
    if user_ids:
        for p in db.session.scalars(sa.select(NotificationPreference).where(
                NotificationPreference.user_id.in_(user_ids))):
            out[p.user_id][(p.event_type, p.channel)] = p
    return out


def channel_enabled(prefs, event_type, channel):
    pref = prefs.get((event_type, channel))
    return True if pref is None else pref.enabled


def wants_digest(prefs):
    pref = prefs.get(("*", "email"))
    return bool(pref and pref.digest)


def notify(event_type, *, sreq=None, audiences=(), recipients=(), actor=None, now=None, rooms=(),
           channels=None, event_key=None, urgent=None, visit=None, municipality=None,
           announcement=None, link=None, email_payload=None, **context):
    """Tell the audiences of `event_type` (WHO_HEARS plus `audiences`), `recipients` (users) and
    `rooms` (ChatRooms). `channels` limits the channels used; `event_key` makes a re-enqueue of the
    same event a no-op; `email_payload` is stored on the e-mail rows for the e-mail channel (see
    channels/email.py). Returns the rows added (outbox messages and in-app notifications)."""
    from ..models import InAppNotification, OutboxMessage

    now = now or utcnow()
    cfg = current_app.config
    channels = set(channels or ("inapp", "email", "webhook"))
    account_mail = event_type in ACCOUNT_EVENTS
    if account_mail:
        channels = {"email"}  # whatever the caller asked for
    event_key = event_key or _event_key(event_type, sreq)
    target = resolve(audiences_for(event_type, audiences), sreq=sreq, visit=visit,
                     municipality=municipality)
    if actor is not None:
        target.users.pop(actor.id, None)  # nobody is told about what they just did
    target.add_users(recipients)
    target.add_rooms(rooms)
    if urgent is None:
        urgent = event_type in URGENT_EVENTS or bool(getattr(sreq, "urgent", False))
    link = link_for(link or _default_link(sreq, visit, announcement))
    facts = chat_facts(event_type, sreq=sreq, visit=visit, announcement=announcement, link=link,
                       municipality=municipality, context=context)
    mail_ctx = {**context, **facts, "sreq": sreq, "visit": visit, "actor": actor,
                "announcement": announcement}
    later = now if urgent else next_opening(now, cfg)
    refs = dict(request_id=getattr(sreq, "id", None), announcement_id=getattr(announcement, "id",
                                                                                None))
    prefs = preferences_for(list(target.users))
    candidates = []
    if target.users and ({"inapp", "email"} & channels):
        subject, body, html = render_email(event_type, mail_ctx)
        for uid, user in target.users.items():
            up = prefs[uid]
            if "inapp" in channels and channel_enabled(up, event_type, "inapp"):
                candidates.append(InAppNotification(
                    user_id=uid, event_type=event_type, title=subject, body=body, link=link,
                    idempotency_key=f"{event_key}:inapp:u{uid}"[:200], created_at=now,
                    request_id=refs["request_id"], announcement_id=refs["announcement_id"]))
            if "email" in channels and user.email and (
                    account_mail or channel_enabled(up, event_type, "email")):
                held = wants_digest(up) and not urgent
                candidates.append(OutboxMessage(
                    event_type=event_type, channel="email", user_id=uid, to_address=user.email,
                    subject=subject, body=body, html=html, link=link, urgent=urgent,
                    payload=email_payload,
                    idempotency_key=f"{event_key}:email:u{uid}"[:200],
                    status="held" if held else "pending", next_attempt_at=later, created_at=now,
                    **refs))
    if target.rooms and "webhook" in channels:
        subject, text = render_chat(event_type, facts)
        payload = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in facts.items()
                   if v is not None}
        for rid, room in target.rooms.items():
            candidates.append(OutboxMessage(
                event_type=event_type, channel="webhook", room_id=rid, subject=subject, body=text,
                link=link, payload=payload, urgent=urgent,
                idempotency_key=f"{event_key}:webhook:r{rid}"[:200], next_attempt_at=later,
                created_at=now, municipality_id=room.municipality_id, **refs))
    if "webhook" in channels:
        from .subscriptions import subscription_messages

        candidates += subscription_messages(event_type, sreq=sreq, now=now, event_key=event_key,
                                            context=context)
    added = _add_new(candidates)
    logger.info("notify %s request=%s key=%s: %d rows", event_type, refs["request_id"], event_key,
                len(added))
    if (event_type == "request.submit" and sreq is not None
            and getattr(sreq, "filed_outside_info_dept", False)):
        added += notify("request.info_dept_shared", sreq=sreq, actor=actor, now=now)
    return added


def _add_new(candidates):
    """Add the rows whose idempotency key is not taken yet (the UNIQUE index backs this up)."""
    from ..models import InAppNotification, OutboxMessage

    out = []
    for model in (OutboxMessage, InAppNotification):
        rows = [c for c in candidates if isinstance(c, model)]
        if not rows:
            continue
        taken = set(db.session.scalars(sa.select(model.idempotency_key).where(
            model.idempotency_key.in_([r.idempotency_key for r in rows]))))
        for row in rows:
            if row.idempotency_key not in taken:
                taken.add(row.idempotency_key)
                db.session.add(row)
                out.append(row)
    return out
