"""Mail into the desk: a reply becomes a comment, a new mail from a known municipal user a draft.

`receive_mail(raw)` is the one way in, for `flask mail-in` (an MTA pipes one message to it) and
for `poll_mailbox` (IMAP). It decides, in this order:
1. too big or unreadable → refused (the sender, if known, gets one polite bounce);
2. already seen (Message-ID + digest, `InboundMail.dedupe_key`) → nothing, the first run won;
3. written by a machine (auto-reply, 不在通知, delivery report, list) → dropped, never answered;
4. addressed to a reply address (`notifications.reply_address`) → a comment by that person,
   with their permissions, or refused with the reason;
5. from an active municipal user to the desk → a draft consultation they confirm in the desk
   (mail alone never submits);
6. anything else → held for a liaison to look at.
The InboundMail row is written in the same transaction as the comment or draft, so a second
poller (unique key) or a retry after a crash (nothing committed) processes a message once.
"""
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _

from ... import permissions
from ...extensions import db
from ...models import InboundMail, SupportRequest, User
from ...models.inbound_mail import InboundOutcome
from ...notifications import notify
from ...notifications.reply_address import read_reply_token, reply_domain
from ...roles import Role
from ...timeutil import utcnow
from .. import DomainError, ValidationFailed
from .parse import Unreadable, parse_message

logger = logging.getLogger(__name__)
CLOSED_STATES = ("closed", "withdrawn", "declined")


class Duplicate(Exception):
    """This message was processed before (or is being processed by another poller)."""


def receive_mail(raw, *, now=None):
    """Process one RFC 5322 message (bytes); returns its InboundMail row (flushed, not
    committed). Raises Duplicate when the message was already processed."""
    now = now or utcnow()
    cfg = current_app.config
    if len(raw) > int(cfg["MAIL_IN_MAX_BYTES"]):
        return _refuse_unparsed(raw[:64 * 1024], "too_large", len(raw), now)
    try:
        mail = parse_message(raw)
    except Unreadable:
        return _refuse_unparsed(raw[:64 * 1024], "unreadable", len(raw), now)
    if db.session.scalar(sa.select(InboundMail.id).where(
            InboundMail.dedupe_key == mail.dedupe_key)) is not None:
        raise Duplicate(mail.message_id)
    row = InboundMail(dedupe_key=mail.dedupe_key, message_id=mail.message_id, received_at=now,
                      from_address=mail.from_address[:254], subject=mail.subject[:300],
                      size=len(raw), outcome=InboundOutcome.HELD.value)
    db.session.add(row)
    if mail.auto_reason or _is_our_own(mail.from_address, cfg):
        return _finish(row, InboundOutcome.DROPPED, mail.auto_reason or "loop")
    token = read_reply_token(cfg, mail.recipients)
    if token is not None:
        return _reply(row, mail, token, raw, now)
    user = _staff_sender(mail.from_address)
    if user is not None:
        return _draft(row, mail, user, raw, now)
    row.text = mail.full_text[:20000]
    row.stored_name = _store_eml(raw)
    logger.info("inbound mail %s from an unknown sender: held for a liaison", row.message_id)
    return _finish(row, InboundOutcome.HELD, None)


def _finish(row, outcome, reason):
    row.outcome, row.reason = outcome.value, reason
    db.session.flush()  # the unique key: a second poller fails here, before anything else
    logger.info("inbound mail %s: %s %s", row.message_id, outcome.value, reason or "")
    return row


def _is_our_own(address, cfg):
    from ...mail_identity import mail_sender

    own = {mail_sender(cfg).lower(), (cfg.get("MAIL_IN_ADDRESS") or "").lower()}
    domain = reply_domain(cfg)
    return address in own or bool(domain and address.endswith("@" + domain))


def _staff_sender(address):
    return db.session.scalar(sa.select(User).where(
        sa.func.lower(User.email) == address, User.active.is_(True),
        User.role == Role.STAFF.value))


def _store_eml(raw):
    from ..requests.attachments import store_file

    return store_file("eml", raw)["stored_name"]


def _refuse_unparsed(head, reason, size, now):
    """A message too big or not readable: no row can be matched, so record a digest of it."""
    import hashlib
    import email
    from email.utils import parseaddr

    key = hashlib.sha256(b"unparsed\0" + head + str(size).encode()).hexdigest()
    if db.session.scalar(sa.select(InboundMail.id).where(InboundMail.dedupe_key == key)):
        raise Duplicate(key)
    headers = email.message_from_bytes(head.split(b"\r\n\r\n")[0].split(b"\n\n")[0])
    address = parseaddr(str(headers.get("From", "")))[1].lower()
    row = InboundMail(dedupe_key=key, message_id=str(headers.get("Message-ID", ""))[:250],
                      received_at=now, from_address=address[:254], size=size,
                      outcome=InboundOutcome.REFUSED.value, reason=reason)
    db.session.add(row)
    _finish(row, InboundOutcome.REFUSED, reason)
    if address and "@" in address and not headers.get("Auto-Submitted"):
        _bounce(row, address, reason, now)
    return row


def _refuse(row, mail, reason, now):
    _finish(row, InboundOutcome.REFUSED, reason)
    _bounce(row, mail.from_address, reason, now)
    return row


def _bounce(row, address, reason, now):
    """One polite refusal per sender and day: a loop of bounces is impossible (the refusal is
    marked Auto-Submitted, and a second refusal the same day is the same outbox row)."""
    from ...models.inbound_mail import REASON_LABELS

    with force_locale("ja"):
        reason_text = _(REASON_LABELS.get(reason, reason))
    notify("mail.refused", address=address, now=now, reason=reason_text,
           original_subject=row.subject,
           event_key=f"mail.refused:{address}:{now.date().isoformat()}")


def _reply(row, mail, token, raw, now):
    cfg = current_app.config
    if not token.valid_signature:
        return _refuse(row, mail, "forged", now)
    if now.date() - token.sent_on > timedelta(days=int(cfg["MAIL_REPLY_TOKEN_DAYS"])):
        return _refuse(row, mail, "expired", now)
    user = db.session.get(User, token.user_id)
    sreq = db.session.get(SupportRequest, token.request_id)
    if user is None or (user.email or "").lower() != mail.from_address:
        return _refuse(row, mail, "sender_mismatch", now)
    if not user.active:
        return _refuse(row, mail, "inactive_user", now)
    if sreq is None or not permissions.can(user, "view", sreq):
        return _refuse(row, mail, "no_access", now)
    if token.internal:
        return _refuse(row, mail, "internal_note", now)
    if sreq.state in CLOSED_STATES:
        return _refuse(row, mail, "closed", now)
    if not mail.text:
        return _refuse(row, mail, "empty", now)
    from ..requests.conversation import add_comment

    row.user_id, row.request_id, row.text = user.id, sreq.id, mail.text
    try:
        with db.session.begin_nested():
            comment = add_comment(sreq, user, mail.text, now=now, uploads=mail.attachments)
    except ValidationFailed:
        return _refuse(row, mail, "bad_attachment" if mail.attachments else "empty", now)
    except (DomainError, permissions.PermissionDenied):
        return _refuse(row, mail, "no_access", now)
    row.comment_id, row.stored_name = comment.id, _store_eml(raw)
    return _finish(row, InboundOutcome.COMMENT, None)


def _draft(row, mail, user, raw, now):
    """A new mail from a municipal user: a draft consultation they confirm in the desk."""
    from ..requests.filing import create_request

    title = (mail.subject or "").strip()[:200] or _("(件名なし)メールでの相談")
    body = mail.text or mail.full_text or ""
    try:
        with db.session.begin_nested():
            sreq = create_request(user, "consultation", title=title, body=body, now=now,
                                  uploads=mail.attachments)
    except ValidationFailed:
        return _refuse(row, mail, "bad_attachment" if mail.attachments else "empty", now)
    row.user_id, row.request_id, row.text = user.id, sreq.id, body[:20000]
    row.stored_name = _store_eml(raw)
    notify("mail.draft_created", recipients=[user], now=now, link=f"/requests/{sreq.id}",
           title=sreq.title, original_subject=mail.subject)
    return _finish(row, InboundOutcome.DRAFT, None)


def inbound_for_comments(comment_ids):
    """{comment id: InboundMail} for the comments that came in by mail."""
    if not comment_ids:
        return {}
    rows = db.session.scalars(sa.select(InboundMail).where(
        InboundMail.comment_id.in_(list(comment_ids))))
    return {r.comment_id: r for r in rows}


def held_mails(limit=200):
    return list(db.session.scalars(sa.select(InboundMail).where(
        InboundMail.outcome == InboundOutcome.HELD.value)
        .order_by(InboundMail.received_at.desc()).limit(limit)))


def outcome_counts(since):
    """{(outcome, reason): count} of mail received since `since` (the admin page)."""
    rows = db.session.execute(sa.select(InboundMail.outcome, InboundMail.reason,
                                        sa.func.count()).where(InboundMail.received_at >= since)
                              .group_by(InboundMail.outcome, InboundMail.reason))
    return {(o, r): n for o, r, n in rows}


def dismiss_held(row, actor, *, now=None):
    from ..audit import record_audit

    now = now or utcnow()
    permissions.require(actor, "review", row)
    if row.outcome != InboundOutcome.HELD.value:
        raise ValidationFailed(_("このメールは確認待ちではありません。"))
    row.outcome, row.reviewed_by_id = InboundOutcome.DISMISSED.value, actor.id
    record_audit("mail.dismissed", actor=actor, target=row, now=now, sender=row.from_address)
    db.session.flush()
