"""Writing the audit log (insert only)."""
import logging

from ..extensions import db
from ..models import AuditLog
from ..timeutil import utcnow

logger = logging.getLogger(__name__)


def record_audit(action, actor=None, target=None, ip=None, now=None, **detail):
    entry = AuditLog(
        at=now or utcnow(),
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__ if target is not None else None,
        target_id=str(target.id) if target is not None and getattr(target, "id", None) else None,
        ip=ip,
        detail=detail or None,
    )
    db.session.add(entry)
    logger.info("audit %s actor=%s target=%s/%s", action, entry.actor_id, entry.target_type,
                entry.target_id)
    return entry


def record_denied_access(actor, reason, *, ip=None, method=None, path=None):
    """A request for an object the user may not see or touch (answered 404): kept in the audit
    log in its own transaction, after anything the request had started is rolled back, so that
    admins can see someone probing other municipalities' URLs. Never turns the 404 into an error."""
    try:
        db.session.rollback()
        record_audit("access.denied", actor=actor, ip=ip, method=method, path=(path or "")[:300],
                     reason=str(reason)[:200])
        db.session.commit()
    except Exception:  # the answer stays a 404 even if the audit write fails
        db.session.rollback()
        logger.exception("could not record a denied access")
