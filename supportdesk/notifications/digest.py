"""Daily digest: a user who chose it gets the day's held mails as one mail (a scheduler job)."""
import logging

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from ..extensions import db
from ..models import OutboxMessage, User
from ..models.notification import OutboxStatus
from ..timeutil import to_jst, utcnow
from .office_hours import next_opening
from ..links import absolute
from .render import MESSAGE_LOCALE

logger = logging.getLogger(__name__)


def send_digests(now=None):
    """Bundle every held mail created up to `now` into one digest mail per user. Idempotent: the
    held rows become 'digested' in the same transaction, and the digest's key names the last row
    it contains, so a second run finds nothing and a re-run cannot send the same bundle twice."""
    now = now or utcnow()
    held = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.HELD.value, OutboxMessage.created_at <= now)
        .order_by(OutboxMessage.user_id, OutboxMessage.id)).all()
    by_user = {}
    for row in held:
        by_user.setdefault(row.user_id, []).append(row)
    env = current_app.jinja_env
    created = 0
    for user_id, rows in by_user.items():
        user = db.session.get(User, user_id)
        key = f"digest:u{user_id}:{to_jst(now).date().isoformat()}:{rows[-1].id}"
        if db.session.scalar(sa.select(OutboxMessage.id).where(
                OutboxMessage.idempotency_key == key)):
            continue
        link = absolute("/notifications", user)
        with force_locale(MESSAGE_LOCALE):
            text = env.get_template("email/digest.txt").render(items=rows).strip("\n")
            subject, _, body = text.partition("\n")
            html = env.get_template("email/_layout.html").render(
                subject=subject, body=body.lstrip(), link=link)
        digest = OutboxMessage(event_type="digest.daily", channel="email", user_id=user_id,
                               to_address=user.email, subject=subject, body=body.lstrip() + "\n",
                               html=html, link=link, idempotency_key=key,
                               next_attempt_at=next_opening(now, current_app.config),
                               created_at=now)
        db.session.add(digest)
        db.session.flush()
        for row in rows:
            row.status, row.digest_id = OutboxStatus.DIGESTED.value, digest.id
        created += 1
    db.session.flush()
    logger.info("digests: %d mails from %d held messages", created, len(held))
    return created
