"""Bulk actions from the queue beyond assignment: hold, resume, close, a 定型文 reply, follow.

Each row goes through the same service as the single action on the request page (and so
through the same permission check), inside its own savepoint: a row the actor may not change is
rolled back with its notices, reported with its number and the reason, and the others go on.
"""
import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import ReplyTemplate, SupportRequest
from ...notifications import savepoint
from ...timeutil import utcnow
from ...workflow import Action, action_needs_reason, action_roles
from .. import DomainError, ValidationFailed
from .conversation import add_comment, fill_reply_template, follow_request, unfollow_request
from .filing import missing_hold_date, perform_action

logger = logging.getLogger(__name__)

STATE_OPS = {"hold": Action.HOLD, "resume": Action.RESUME, "close": Action.CLOSE}
CHANGE_OPS = (*STATE_OPS, "reply", "follow", "unfollow")
EXPORT_OPS = ("export_csv", "export_xlsx")


@dataclass
class Refusal:
    request_id: int
    label: str      # the request number, or "#id" for a row the actor may not see
    reason: str     # user-facing, translated


@dataclass
class BulkResult:
    op: str
    done: list = field(default_factory=list)
    refused: list = field(default_factory=list)

    def refusals_by_reason(self):
        """[(reason, [labels])] in the order the reasons first came up."""
        out = {}
        for r in self.refused:
            out.setdefault(r.reason, []).append(r.label)
        return list(out.items())


def bulk_ops(user):
    """The bulk actions the queue offers `user`: the single actions' rules, asked per kind."""
    ops = []
    for op, action in STATE_OPS.items():
        if user.role in action_roles(action) and permissions.can(user, "transition", "request"):
            ops.append(op)
    if permissions.can(user, "reply", "request") and permissions.can(user, "view",
                                                                       "reply_template"):
        ops.append("reply")
    if permissions.can(user, "follow", "request"):
        ops += ["follow", "unfollow"]
    if permissions.can(user, "assign", "request"):
        ops.append("assign")
    if permissions.can(user, "view", "queue"):
        ops += list(EXPORT_OPS)
    return ops


def selected_ids(request_ids):
    ids = sorted({int(i) for i in request_ids or ()})
    if not ids:
        raise ValidationFailed(_("依頼を選んでください。"), field="ids")
    return ids


def visible_selection(actor, ids):
    """{id: request} for the selected ids the actor may see (scoped like every list)."""
    stmt = permissions.scope_requests(
        sa.select(SupportRequest).where(SupportRequest.id.in_(ids)), actor)
    return {s.id: s for s in db.session.scalars(stmt)}


def _inputs(op, *, reason, hold_until, template):
    """Refuse the whole selection at once for what the form lacks (beside its field)."""
    if op not in CHANGE_OPS:
        raise ValidationFailed(_("操作を選んでください。"), field="op")
    if op in STATE_OPS:
        problem = missing_hold_date(STATE_OPS[op], hold_until)
        if problem:
            raise ValidationFailed(problem, field="hold_until")
        if action_needs_reason(STATE_OPS[op]) and not (reason or "").strip():
            raise ValidationFailed(_("理由を入力してください。"), field="reason")
    if op == "reply" and (template is None or not template.active):
        raise ValidationFailed(_("定型文を選んでください。"), field="template_id")


def _apply_one(op, sreq, actor, *, reason, hold_until, template, now):
    if op in STATE_OPS:
        perform_action(sreq, STATE_OPS[op], actor, reason=(reason or "").strip() or None,
                       hold_until=hold_until, now=now)
    elif op == "reply":
        add_comment(sreq, actor, fill_reply_template(template.body, sreq), now=now)
    elif op == "follow":
        follow_request(sreq, actor, now=now)
    else:
        unfollow_request(sreq, actor, now=now)


def bulk_apply(actor, op, request_ids, *, reason=None, hold_until=None, template_id=None,
               now=None):
    """Do `op` to each selected request the single action allows; returns a BulkResult.

    op: hold (reason and a 解除予定日), resume (reason optional, kept as the event's note),
    close, reply (a 定型文 with {番号} {件名} {市町} filled per request), follow, unfollow.
    """
    now = now or utcnow()
    template = db.session.get(ReplyTemplate, template_id) if template_id else None
    _inputs(op, reason=reason, hold_until=hold_until, template=template)
    ids = selected_ids(request_ids)
    found = visible_selection(actor, ids)
    result = BulkResult(op)
    for rid in ids:
        sreq = found.get(rid)
        if sreq is None:
            result.refused.append(Refusal(rid, f"#{rid}",
                                          _("見つからないか、表示する権限がありません。")))
            continue
        try:
            with savepoint():
                _apply_one(op, sreq, actor, reason=reason, hold_until=hold_until,
                           template=template, now=now)
        except permissions.PermissionDenied:
            result.refused.append(Refusal(rid, sreq.display_number,
                                          _("この操作を行う権限がありません。")))
        except DomainError as exc:
            result.refused.append(Refusal(rid, sreq.display_number, str(exc)))
        else:
            result.done.append(sreq)
    db.session.flush()
    logger.info("bulk %s by user %s: %d done, %d refused (%s)", op, actor.id, len(result.done),
                len(result.refused), ",".join(str(r.request_id) for r in result.refused))
    return result
