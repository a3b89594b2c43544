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
