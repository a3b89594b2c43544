"""The one notification path, announced after the work is done.

Services call `notify(event_type, ...)` while they work: it only RECORDS the event in the
current unit of work (the session's `info`). When the operation is complete, just before its
transaction commits (a `before_commit` hook on the session, so a view's `service_call`, the API,
the CLI and the scheduler jobs all pass through it), `announce_pending()` resolves who hears
each event from the ONE table audiences.WHO_HEARS and the users' preferences, renders the
messages once with the request's final state, number and dates, and adds the OutboxMessage and
InAppNotification rows to that same transaction: a rollback removes them, and a rolled-back unit
of work forgets its recorded events. Only the dispatcher (outbox.py) talks to SMTP or a webhook.
Drafts never leave the desk: an event about a request that was never submitted is dropped.

Jobs for the scheduler (each safe to run twice): outbox.dispatch_due(now) every ~30 s (it commits
its own work), digest.send_digests(now) once a day before 17:15 JST, and
services.announcements.send_due_announcements(now) every minute (those two flush; the job commits).
"""
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..timeutil import utcnow
from .reply_address import reply_domain
from ..links import absolute, network_of
from .audiences import (ACCOUNT_EVENTS, NAMED, URGENT_EVENTS, address_reader, audiences_for,
                        resolve)
from .office_hours import next_opening
from .render import chat_facts, render_chat, render_email

logger = logging.getLogger(__name__)

USER_CHANNELS = ("inapp", "email")
PENDING = "supportdesk.pending_events"


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


@dataclass
class PendingEvent:
    """A domain event recorded during a unit of work, announced just before it commits."""
    event_type: str
    sreq: object = None
    visit: object = None
    municipality: object = None
    announcement: object = None
    actor: object = None
    recipients: tuple = ()
    rooms: tuple = ()
    addresses: tuple = ()
    department: object = None
    address: str | None = None
    now: object = None
    options: dict = field(default_factory=dict)


def notify(event_type, *, sreq=None, recipients=(), rooms=(), actor=None, now=None, visit=None,
           municipality=None, announcement=None, department=None, address=None, addresses=(),
           **options):
    """Record that `event_type` happened; it is announced when the unit of work commits.

    Who hears it comes from WHO_HEARS alone. `recipients` (users) and `rooms` are the people
    the event itself names (the expert asked, the staff added as co-applicants...), and
    `addresses` ((key, e-mail) pairs) the people without an account it names (contacts of the
    directory), mailed only: allowed only
    for events whose WHO_HEARS row lists the NAMED audience, so that the table stays the whole
    truth. `department` is the prefectural department the event is about (the DEPARTMENT
    audience mails its contact address); `address` the e-mail address the event answers (the
    SENDER audience: the sender of an inbound mail, who may have no account). Other options: `channels` limits the channels;
    `event_key` makes a re-enqueue of the same event a no-op; `urgent`; `link`; `email_payload` (stored on e-mail rows for the e-mail
    channel, see channels/email.py); anything else is context for the templates."""
    if "audiences" in options:
        raise TypeError("notify() takes no audiences: who hears an event is WHO_HEARS's row")
    if (recipients or rooms or addresses) and NAMED not in audiences_for(event_type):
        raise ValueError(f"{event_type}: recipients given, but WHO_HEARS has no NAMED audience")
    db.session.info.setdefault(PENDING, []).append(PendingEvent(
        event_type, sreq=sreq, visit=visit, municipality=municipality, announcement=announcement,
        actor=actor, recipients=tuple(recipients), rooms=tuple(rooms),
        addresses=tuple(addresses), department=department, address=address,
        now=now or utcnow(),
        options=options))


def pending_events(session=None):
    return list((session or db.session).info.get(PENDING, ()))


def discard_pending(session=None):
    (session or db.session).info.pop(PENDING, None)


@contextmanager
def savepoint(session=None):
    """A savepoint whose rollback also forgets the events recorded inside it: one refused row
    of a bulk action is undone without its notices while the other rows go on."""
    session = session or db.session
    mark = len(session.info.get(PENDING, ()))
    try:
        with session.begin_nested():
            yield
    except Exception:
        del session.info.get(PENDING, [])[mark:]
        raise


def announce_pending(session=None):
    """Resolve, render and enqueue the recorded events of this unit of work (flushes first, so
    the rows have their final values). Returns the rows added. Called by the before_commit hook;
    callers rarely need it directly."""
    session = session or db.session
    added = []
    while session.info.get(PENDING):
        batch = session.info.pop(PENDING)
        session.flush()
        for ev in batch:
            added += _announce(ev)
    if added:
        session.flush()
    return added


def _before_commit(session):
    # SQLAlchemy calls this when a savepoint is released too: the unit of work is not done yet
    # (a bulk action's later rows may still be refused), so announce at the real commit only.
    if session.info.get(PENDING) and not session.in_nested_transaction():
        announce_pending(session)


def _after_transaction_end(session, transaction):
    # A rolled-back unit of work forgets what it recorded (after a commit the list is empty).
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING, None)


def init_app(app):
    """Hook the announcement into every commit of the app's session (once per process)."""
    for name, fn in (("before_commit", _before_commit),
                     ("after_transaction_end", _after_transaction_end)):
        if not sa.event.contains(db.session, name, fn):
            sa.event.listen(db.session, name, fn)


def never_left_the_desk(sreq):
    """Drafts (and drafts dropped without being submitted) are private to their filer."""
    return sreq is not None and (sreq.state == "draft" or sreq.submitted_at is None
                                 and sreq.state == "withdrawn")


def _announce(ev):
    from ..models import InAppNotification, OutboxMessage
    from ..models.notification import OutboxStatus

    event_type, sreq, visit = ev.event_type, ev.sreq, ev.visit
    municipality, announcement, actor, now = ev.municipality, ev.announcement, ev.actor, ev.now
    opts = dict(ev.options)
    if never_left_the_desk(sreq):
        logger.info("notify %s request=%s: a draft, not announced", event_type, sreq.id)
        return []
    channels = opts.pop("channels", None)
    event_key = opts.pop("event_key", None)
    urgent = opts.pop("urgent", None)
    link = opts.pop("link", None)
    email_payload = opts.pop("email_payload", None)
    context = opts
    cfg = current_app.config
    channels = set(channels or ("inapp", "email", "webhook"))
    account_mail = event_type in ACCOUNT_EVENTS
    if account_mail:
        channels = {"email"}  # whatever the caller asked for
    event_key = event_key or _event_key(event_type, sreq)
    target = resolve(audiences_for(event_type), sreq=sreq, visit=visit,
                     municipality=municipality, actor=actor, named=ev.recipients,
                     named_rooms=ev.rooms, named_addresses=ev.addresses,
                     department=ev.department, address=ev.address)
    if actor is not None:
        target.users.pop(actor.id, None)  # nobody is told about what they just did
    if urgent is None:
        urgent = event_type in URGENT_EVENTS or bool(getattr(sreq, "urgent", False))
    path = link or _default_link(sreq, visit, announcement)
    # Links are built for each recipient's network (links.py): one rendering per network met.
    facts_by_network, mail_by_network = {}, {}

    def facts_for(network):
        if network not in facts_by_network:
            facts_by_network[network] = chat_facts(
                event_type, sreq=sreq, visit=visit, announcement=announcement,
                link=absolute(path, network), municipality=municipality, context=context)
        return facts_by_network[network]

    def mail_for(network):
        if network not in mail_by_network:
            mail_ctx = {**context, **facts_for(network), "sreq": sreq, "visit": visit,
                        "actor": actor, "announcement": announcement,
                        # Mail about a request carries a reply address (channels/email.py).
                        "reply_by_mail": bool(sreq is not None and reply_domain(cfg)
                                              and event_type != "request.note")}
            mail_by_network[network] = render_email(event_type, mail_ctx)
        return mail_by_network[network]

    later = now if urgent else next_opening(now, cfg)
    refs = dict(request_id=getattr(sreq, "id", None), announcement_id=getattr(announcement, "id",
                                                                                None))
    prefs = preferences_for(list(target.users))
    candidates = []
    if (target.users or target.addresses) and ({"inapp", "email"} & channels):
        for uid, user in target.users.items():
            network = network_of(user, cfg)
            subject, body, html = mail_for(network)
            user_link = facts_for(network)["link"]
            up = prefs[uid]
            if "inapp" in channels and channel_enabled(up, event_type, "inapp"):
                candidates.append(InAppNotification(
                    user_id=uid, event_type=event_type, title=subject, body=body, link=user_link,
                    idempotency_key=f"{event_key}:inapp:u{uid}"[:200], created_at=now,
                    request_id=refs["request_id"], announcement_id=refs["announcement_id"]))
            if "email" in channels and user.email and (
                    account_mail or channel_enabled(up, event_type, "email")):
                held = wants_digest(up) and not urgent
                candidates.append(OutboxMessage(
                    event_type=event_type, channel="email", user_id=uid, to_address=user.email,
                    subject=subject, body=body, html=html, link=user_link, urgent=urgent,
                    payload=email_payload,
                    idempotency_key=f"{event_key}:email:u{uid}"[:200],
                    status=(OutboxStatus.HELD if held else OutboxStatus.PENDING).value,
                    next_attempt_at=later, created_at=now,
                    **refs))
        # Recipients without an account (a department): mail only, no preferences, no digest.
        for key, address in target.addresses.items():
            if "email" not in channels:
                break
            network = network_of(address_reader(key), cfg)
            subject, body, html = mail_for(network)
            candidates.append(OutboxMessage(
                event_type=event_type, channel="email", to_address=address, subject=subject,
                body=body, html=html, link=facts_for(network)["link"], urgent=urgent,
                payload=email_payload, idempotency_key=f"{event_key}:email:{key}"[:200],
                status=OutboxStatus.PENDING.value, next_attempt_at=later, created_at=now,
                **refs))
    if target.rooms and "webhook" in channels:
        for rid, room in target.rooms.items():
            facts = facts_for(network_of(room, cfg))
            subject, text = render_chat(event_type, facts)
            payload = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                       for k, v in facts.items() if v is not None}
            candidates.append(OutboxMessage(
                event_type=event_type, channel="webhook", room_id=rid, subject=subject, body=text,
                link=facts["link"], payload=payload, urgent=urgent,
                idempotency_key=f"{event_key}:webhook:r{rid}"[:200], next_attempt_at=later,
                created_at=now, municipality_id=room.municipality_id, **refs))
    if "webhook" in channels:
        from .subscriptions import subscription_messages

        candidates += subscription_messages(event_type, sreq=sreq, now=now, event_key=event_key,
                                            context=context, visit=visit,
                                            announcement=announcement)
    added = _add_new(candidates)
    logger.info("notify %s request=%s key=%s: %d rows", event_type, refs["request_id"], event_key,
                len(added))
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
