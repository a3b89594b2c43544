"""Changing a record kind's retention class and default disposition (admins; audited)."""
import logging

from flask_babel import gettext as _

from ...extensions import db
from ...models import RetentionPolicy
from ...models.retention import Disposition, RecordKind, RetentionClass
from .. import ValidationFailed
from ..audit import record_audit
from .kinds import KINDS

logger = logging.getLogger(__name__)


def update_policy(kind, *, actor, retention_class, disposition, now):
    """Set the class and default disposition of `kind`. Records already on a spring list keep
    what was decided about them; undecided ones follow the new policy when the list is next
    prepared."""
    spec = KINDS[RecordKind(kind)]
    retention_class, disposition = RetentionClass(retention_class), Disposition(disposition)
    if disposition not in spec.dispositions:
        raise ValidationFailed(_("この種類の記録は廃棄できません(移管のみ)。"), field="disposition")
    policy = db.session.get(RetentionPolicy, spec.kind.value)
    if policy is None:
        policy = RetentionPolicy(kind=spec.kind.value)
        db.session.add(policy)
    before = (policy.retention_class, policy.disposition)
    policy.retention_class, policy.disposition = retention_class.value, disposition.value
    policy.updated_at = now
    record_audit("retention.policy_changed", actor=actor, now=now, kind=spec.kind.value,
                 before=list(before), after=[retention_class.value, disposition.value])
    db.session.flush()
    logger.info("retention policy %s set to %s/%s by %s", kind, retention_class.value,
                disposition.value, actor.id)
    return policy
