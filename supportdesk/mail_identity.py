"""The From of the desk's mail, one owner for the outbox's mail channel and the inbound-mail
checks: the deployment's MAIL_FROM when it fixes one (a relay may accept only its own senders),
else the desk's sender (its pack's, then its admin's: the desk profile row), else a local
fallback. Read from the profile row itself (one primary-key read per message), as the
notifications may not call the services."""
import sqlalchemy as sa

FALLBACK_SENDER = "supportdesk@localhost"


def mail_sender(config):
    fixed = config.get("MAIL_FROM")
    if fixed:
        return fixed
    from .extensions import db
    from .models import DeskProfile

    sender = db.session.scalar(sa.select(DeskProfile.mail_sender).where(DeskProfile.id == 1))
    return sender or FALLBACK_SENDER
