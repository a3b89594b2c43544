"""Reading the desk's mailbox over IMAP (the `mail-poll` command and the `mail.poll` job).

Each message is fetched without marking it read (BODY.PEEK[]), processed and committed in its
own transaction, and only then flagged \\Seen. A crash before the commit leaves it unread for
the next poll; a crash after it leaves a message the next poll finds already processed (the
unique dedupe key), so each message counts once even with two pollers at the same time. Unlike
other services this one commits: one transaction per message is the point.
"""
import imaplib
import logging
import ssl

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...timeutil import utcnow
from . import Duplicate, receive_mail

logger = logging.getLogger(__name__)


def receive_and_commit(raw, *, now=None):
    """Process one message in its own transaction; its outcome, or "duplicate"."""
    try:
        row = receive_mail(raw, now=now or utcnow())
        db.session.commit()
        return row.outcome
    except (Duplicate, IntegrityError):
        db.session.rollback()  # processed before, or by another poller just now
        return "duplicate"
    except Exception:
        db.session.rollback()
        raise


def _connect(cfg):
    host, port = cfg["MAIL_IMAP_HOST"], int(cfg["MAIL_IMAP_PORT"])
    if cfg.get("MAIL_IMAP_SSL"):
        return imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(),
                                 timeout=30)
    conn = imaplib.IMAP4(host, port, timeout=30)
    if cfg.get("MAIL_IMAP_STARTTLS"):
        conn.starttls(ssl_context=ssl.create_default_context())
    return conn


def poll_mailbox(now=None, limit=200):
    """Process the unread messages of MAIL_IMAP_FOLDER; {outcome: count}. Nothing to do (0)
    when no mailbox is configured."""
    cfg = current_app.config
    if not cfg.get("MAIL_IMAP_HOST"):
        return {}
    counts = {}
    conn = _connect(cfg)
    try:
        conn.login(cfg["MAIL_IMAP_USERNAME"], cfg.get("MAIL_IMAP_PASSWORD") or "")
        conn.select(cfg.get("MAIL_IMAP_FOLDER") or "INBOX")
        _typ, data = conn.uid("SEARCH", None, "UNSEEN")
        for uid in (data[0] or b"").split()[:limit]:
            _typ, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if raw is None:
                continue
            outcome = receive_and_commit(raw, now=now)
            conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            counts[outcome] = counts.get(outcome, 0) + 1
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    logger.info("mail poll: %s", counts)
    return counts


def poll_job(now):
    """The scheduler's `mail.poll` job: how many messages were read."""
    return sum(poll_mailbox(now=now).values())
