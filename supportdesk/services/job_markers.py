"""Sent-notice markers: how scheduled jobs make sure each notice goes out once."""
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import SentNotice


def claim_notice(kind, key, *, now, request_id=None, municipality_id=None):
    """Insert the marker for (kind, key); False if it exists already (the notice was sent).

    A savepoint keeps the caller's transaction usable when the UNIQUE constraint refuses a
    duplicate, which is the second guard should two schedulers ever run the same job.
    """
    if db.session.query(SentNotice.id).filter_by(kind=kind, key=key).first() is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SentNotice(kind=kind, key=key, request_id=request_id,
                                      municipality_id=municipality_id, sent_at=now))
    except IntegrityError:
        return False
    return True
