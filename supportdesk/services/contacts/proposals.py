"""Changes to the directory proposed by the municipality's 情報部門, accepted or rejected by a
liaison of its team (workflows/contacts.py TRANSITIONS)."""
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import ContactProposal
from ...timeutil import utcnow
from ...workflows.contacts import ProposalKind, ProposalStatus, transition_for
from .. import ValidationFailed
from ..audit import record_audit
from .directory import FIELDS, _as_date, add_contact, clean_contact_values, end_contact, \
    update_contact


def _jsonable(values):
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def propose_contact_change(actor, municipality, kind, *, contact=None, note=None, now=None,
                           **values):
    """Record the 情報部門's proposal: `add` a contact, `change` or `end` `contact`. The values
    are checked now, so the liaison decides on a proposal that can be applied as it stands."""
    now = now or utcnow()
    permissions.require_in(actor, "propose", "contact", municipality)
    kind = ProposalKind(kind)
    if kind != ProposalKind.ADD and (contact is None or contact.municipality_id != municipality.id):
        raise permissions.PermissionDenied("the contact is not in this municipality")
    if kind == ProposalKind.END:
        valid_to = _as_date(values.get("valid_to"), "valid_to")
        if valid_to is None:
            raise ValidationFailed(_("終了日を入力してください。"), "valid_to")
        if valid_to < contact.valid_from:
            raise ValidationFailed(_("終了日は開始日以降の日付にしてください。"), "valid_to")
        proposed = {"valid_to": valid_to}
    else:
        base = {f: getattr(contact, f) for f in FIELDS} if contact is not None else {}
        proposed = clean_contact_values(municipality.id, {**base, **values})
    p = ContactProposal(municipality_id=municipality.id, kind=kind.value,
                        contact_id=contact.id if contact is not None else None,
                        proposed=_jsonable(proposed), note=(note or "").strip() or None,
                        proposed_by_id=actor.id, proposed_at=now)
    db.session.add(p)
    db.session.flush()
    record_audit("contact.proposed", actor=actor, target=p, now=now, kind=kind.value,
                 municipality_id=municipality.id, contact_id=p.contact_id)
    return p


def decide_proposal(actor, proposal, action, *, note=None, now=None):
    """Accept (the directory changes, audited like a liaison's own edit) or reject a pending
    proposal."""
    now = now or utcnow()
    permissions.require(actor, "decide", proposal)
    t = transition_for(proposal.status, action)
    if t is None:
        raise ValidationFailed(_("この提案はすでに処理されています。"))
    if actor.role not in t.by:
        raise permissions.PermissionDenied(f"{actor.id} may not {action} proposal {proposal.id}")
    if t.to == ProposalStatus.ACCEPTED:
        values = dict(proposal.proposed)
        if proposal.kind == ProposalKind.ADD:
            created = add_contact(actor, proposal.municipality, now=now, **values)
            proposal.contact_id = created.id
        elif proposal.kind == ProposalKind.CHANGE:
            update_contact(actor, proposal.contact, now=now, **values)
        else:
            end_contact(actor, proposal.contact, values["valid_to"], now=now)
    proposal.status = t.to.value
    proposal.decided_by_id = actor.id
    proposal.decided_at = now
    proposal.decision_note = (note or "").strip() or None
    db.session.flush()
    record_audit("contact.proposal_decided", actor=actor, target=proposal, now=now,
                 status=proposal.status, municipality_id=proposal.municipality_id)
    return proposal


def proposals_of(municipality_id, *, pending_only=False):
    stmt = sa.select(ContactProposal).where(ContactProposal.municipality_id == municipality_id)
    if pending_only:
        stmt = stmt.where(ContactProposal.status == ProposalStatus.PENDING.value)
    return db.session.scalars(stmt.order_by(ContactProposal.proposed_at.desc(),
                                            ContactProposal.id.desc())).all()


def pending_proposals_for(user):
    """Pending proposals the user may decide (a liaison's regions, an admin's all)."""
    stmt = sa.select(ContactProposal).where(
        ContactProposal.status == ProposalStatus.PENDING.value)
    stmt = permissions.scope_by_municipality(stmt, user, "contact_proposal",
                                             ContactProposal.municipality_id, "decide")
    return db.session.scalars(stmt.order_by(ContactProposal.proposed_at)).all()
