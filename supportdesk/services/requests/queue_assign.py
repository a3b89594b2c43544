"""Bulk assignment from the queue: one liaison becomes the assignee of many requests."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import SupportRequest
from ...notifications import notify
from ...roles import Role
from ...timeutil import utcnow
from ...workflow import FINAL_STATES, State
from .. import ValidationFailed, reference
from .transitions import record_event

logger = logging.getLogger(__name__)

# A closed, withdrawn or declined request (or a draft) has no work left to hand out.
NOT_ASSIGNABLE = frozenset({s.value for s in FINAL_STATES} | {State.DRAFT.value})


def assignable_liaisons():
    """The active liaisons (id, display_name), from the per-process reference cache."""
    return list(reference.liaisons())


def bulk_assign(actor, request_ids, assignee, *, now=None):
    """Make `assignee` the assignee of each request the actor may assign; returns (done, refused).

    Each request is checked on its own: one the actor may not work (no permission, not visible,
    closed) is refused and left untouched while the others are assigned. Each change writes an
    assign event with before/after and a notification.
    """
    now = now or utcnow()
    if assignee is None or assignee.role != Role.LIAISON or not assignee.active:
        raise ValidationFailed(_("担当者にはリエゾンを選んでください。"), field="assignee")
    ids = sorted({int(i) for i in request_ids})
    if not ids:
        raise ValidationFailed(_("割り当てる依頼を選んでください。"), field="ids")
    stmt = permissions.scope_requests(sa.select(SupportRequest).where(SupportRequest.id.in_(ids)),
                                      actor)
    found = {s.id: s for s in db.session.scalars(stmt)}
    done, refused = [], []
    for rid in ids:
        sreq = found.get(rid)
        if (sreq is None or sreq.state in NOT_ASSIGNABLE
                or not permissions.can(actor, "assign", sreq)):
            refused.append(rid)
            continue
        if sreq.assignee_id == assignee.id:
            done.append(sreq)
            continue
        before = sreq.assignee_id
        sreq.assignee_id = assignee.id
        sreq.updated_at = now
        record_event(sreq, actor, "assign", data={"before": before, "after": assignee.id},
                     now=now)
        notify("request.assigned", sreq=sreq, actor=actor, now=now,
               before=before, after=assignee.id)
        logger.info("request %s assigned %s -> %s by user %s", sreq.id, before, assignee.id,
                    actor.id)
        done.append(sreq)
    db.session.flush()
    return done, refused
