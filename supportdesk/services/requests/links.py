"""Related requests: links (related, follow-up) and marking a duplicate into its original."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ... import permissions
from ...extensions import db
from ...i18n import N_
from ...models import RequestLink, SupportRequest
from ...timeutil import utcnow
from ...workflow import FINAL_STATES, Action, State, transition_for
from .. import ValidationFailed
from .transitions import apply_action, record_event

logger = logging.getLogger(__name__)

LINK_KINDS = {"related": N_("関連"), "follow_up": N_("後続(フォローアップ)"), "duplicate": N_("重複")}
DUPLICATE_REASON = "重複"


def find_request(number_or_id):
    """A request by its number (R6-0012) or its id, as typed into the link form."""
    text = (number_or_id or "").strip().upper()
    if not text:
        return None
    if text.isdigit():
        return db.session.get(SupportRequest, int(text))
    return db.session.scalar(sa.select(SupportRequest).where(SupportRequest.number == text))


def _internal(a, b):
    # A link across municipalities must not tell one municipality about the other's request.
    return not (a.scope_municipality_ids() & b.scope_municipality_ids())


def _check_pair(a, b, actor):
    permissions.require(actor, "link", a)
    if b is None or not permissions.can(actor, "link", b):
        raise ValidationFailed(_("リンク先の依頼が見つかりません。"), field="target")
    if a.id == b.id:
        raise ValidationFailed(_("同じ依頼どうしはリンクできません。"), field="target")
    if a.state == State.DRAFT.value or b.state == State.DRAFT.value:
        raise ValidationFailed(_("下書きの依頼はリンクできません。"), field="target")


def _existing(a, b, kind):
    pairs = [(a.id, b.id)] if kind == "follow_up" else [(a.id, b.id), (b.id, a.id)]
    cond = sa.or_(*[sa.and_(RequestLink.from_id == f, RequestLink.to_id == t) for f, t in pairs])
    return db.session.scalar(sa.select(RequestLink).where(cond, RequestLink.kind == kind))


def _write_link(a, b, kind, actor, now):
    link = RequestLink(from_id=a.id, to_id=b.id, kind=kind, created_by_id=actor.id,
                       created_at=now)
    db.session.add(link)
    internal = _internal(a, b)
    for this, other, side in ((a, b, "from"), (b, a, "to")):
        record_event(this, actor, "link", action=f"link_{kind}", now=now, internal=internal,
                     data={"kind": kind, "side": side, "other_id": other.id,
                           "other_number": other.display_number})
    return link


def _may(sreq, action, actor):
    # The same table apply_action checks; asked directly so that no refusal message has to be
    # translated (this also runs from the CLI, outside a request).
    t = transition_for(sreq.state, action)
    return t is not None and actor.role in t.by and permissions.can(actor, "transition", sreq)


def link_requests(a, b, kind, actor, *, now=None):
    """Link two requests: related (either way) or follow_up (a follows up b). Idempotent."""
    now = now or utcnow()
    if kind not in ("related", "follow_up"):
        raise ValidationFailed(_("リンクの種類を選んでください。"), field="kind")
    _check_pair(a, b, actor)
    link = _existing(a, b, kind)
    if link is not None:
        return link
    link = _write_link(a, b, kind, actor, now)
    logger.info("request %s linked to %s (%s) by user %s", a.id, b.id, kind, actor.id)
    db.session.flush()
    return link


def mark_duplicate(dup, original, actor, *, now=None):
    """Mark `dup` as a duplicate of `original` and close it; both histories are kept.

    The duplicate is closed through the state machine: 完了 where that transition exists,
    otherwise 対応不可 with the reason 重複. A request already finished is only linked; a
    scheduled one must be put on hold first, because a fixed date needs a human decision.
    """
    now = now or utcnow()
    _check_pair(dup, original, actor)
    if original.duplicate_of_id == dup.id:
        raise ValidationFailed(_("元の依頼がこの依頼の重複として登録されています。"), field="target")
    if dup.duplicate_of_id is not None and dup.duplicate_of_id != original.id:
        raise ValidationFailed(_("この依頼はすでに別の依頼の重複として登録されています。"),
                               field="target")
    actions = {a for a in (Action.CLOSE, Action.DECLINE) if _may(dup, a, actor)}
    final = State(dup.state) in FINAL_STATES
    if not final and Action.CLOSE not in actions and Action.DECLINE not in actions:
        raise ValidationFailed(_("「日程確定」などの状態の依頼は重複として閉じられません。先に保留にしてください。"),
                               field="target")
    dup.duplicate_of_id = original.id
    if _existing(dup, original, "duplicate") is None:
        _write_link(dup, original, "duplicate", actor, now)
    # Stored history is written in Japanese whatever the actor's display language.
    reason = DUPLICATE_REASON
    if not _internal(dup, original):
        reason = f"{DUPLICATE_REASON}({original.display_number} に統合)"
    if Action.CLOSE in actions:
        apply_action(dup, Action.CLOSE, actor, reason=reason, now=now)
    elif Action.DECLINE in actions:
        apply_action(dup, Action.DECLINE, actor, reason=reason, now=now)
    logger.info("request %s marked duplicate of %s by user %s", dup.id, original.id, actor.id)
    db.session.flush()
    return dup


def visible_links(sreq, user):
    """Links of a request as (kind label key, direction, other request), only those `user` may see.

    Staff must never learn of another municipality's request through a link, so every other
    end is checked with permissions.can. The link rows come first (most requests have none);
    the other ends, with their municipality (the page names it), in one more statement.
    """
    rows = db.session.scalars(
        sa.select(RequestLink)
        .where(sa.or_(RequestLink.from_id == sreq.id, RequestLink.to_id == sreq.id))
        .order_by(RequestLink.created_at, RequestLink.id)
    ).all()
    if not rows:
        return []
    other_ids = {link.to_id if link.from_id == sreq.id else link.from_id for link in rows}
    others = {r.id: r for r in db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.id.in_(other_ids))
        .options(joinedload(SupportRequest.municipality)))}
    out = []
    for link in rows:
        outgoing = link.from_id == sreq.id
        other = others[link.to_id if outgoing else link.from_id]
        if permissions.can(user, "view", other):
            out.append({"link": link, "kind": link.kind, "outgoing": outgoing, "other": other})
    return out
