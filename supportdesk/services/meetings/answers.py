"""The invitees' answers (出席 / 欠席 / 代理出席) and the meeting page's view of them: answers per
municipality and the municipalities with nobody coming."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import MeetingInvitation, Municipality
from ...timeutil import utcnow
from ...workflows.meetings import COMING, Answer, MeetingStatus
from .. import ValidationFailed
from ..audit import record_audit

logger = logging.getLogger(__name__)


def answer_invitation(inv, actor, *, answer, substitute_name=None, note=None, now=None):
    """Record an invitee's answer; it may change until the meeting takes place. 代理出席 names
    the substitute. The liaison may record an answer given by phone or mail."""
    now = now or utcnow()
    if not permissions.may_answer_invitation(actor, inv):
        raise permissions.PermissionDenied(f"{actor.id} may not answer invitation {inv.id}")
    if inv.meeting.status != MeetingStatus.INVITED:
        raise ValidationFailed(_("この会議の出欠はもう変更できません。"))
    if answer not in {a.value for a in Answer}:
        raise ValidationFailed(_("出席・欠席・代理出席のいずれかを選んでください。"), field="answer")
    substitute_name = (substitute_name or "").strip() or None
    if answer == Answer.PROXY and not substitute_name:
        raise ValidationFailed(_("代理出席の場合は、出席する方の氏名を入力してください。"),
                               field="substitute_name")
    before = inv.answer
    inv.answer = answer
    inv.substitute_name = substitute_name if answer == Answer.PROXY else None
    inv.answer_note = (note or "").strip()[:500] or None
    inv.answered_at, inv.answered_by_id = now, actor.id
    db.session.flush()
    record_audit("meeting.answer", actor=actor, target=inv, now=now, meeting_id=inv.meeting_id,
                 answer=answer, before=before)
    logger.info("meeting %s invitation %s: %s by user %s", inv.meeting_id, inv.id, answer,
                actor.id)
    return inv


def visible_invitations(meeting, user):
    """The meeting's invitations the user may read (staff: their own municipality's)."""
    stmt = permissions.scope_meeting_invitations(sa.select(MeetingInvitation).where(
        MeetingInvitation.meeting_id == meeting.id), user).order_by(MeetingInvitation.id)
    return db.session.scalars(stmt).all()


def answers_by_municipality(meeting, user):
    """[(municipality or None for the prefecture side / experts, [invitation])] as the user
    may read them, by municipality code."""
    groups = {}
    for inv in visible_invitations(meeting, user):
        groups.setdefault(inv.municipality_id, []).append(inv)
    munis = {m.id: m for m in db.session.scalars(sa.select(Municipality).where(
        Municipality.id.in_([k for k in groups if k is not None])))}
    rows = [(munis[mid], invs) for mid, invs in groups.items() if mid is not None]
    rows.sort(key=lambda r: r[0].code)
    if None in groups:
        rows.append((None, groups[None]))
    return rows


def nobody_coming(meeting):
    """Invited municipalities where no invitee answered 出席 or 代理出席 (before the meeting), or
    where nobody attended (once attendance is recorded), by code."""
    held = meeting.status == MeetingStatus.HELD
    coming, invited = set(), set()
    for inv in meeting.invitations:
        if inv.municipality_id is None:
            continue
        invited.add(inv.municipality_id)
        if (inv.attended if held else inv.answer in COMING):
            coming.add(inv.municipality_id)
    missing = invited - coming
    if not missing:
        return []
    return db.session.scalars(sa.select(Municipality).where(Municipality.id.in_(missing))
                              .order_by(Municipality.code)).all()


def answer_counts(invitations):
    counts = {a: 0 for a in Answer}
    counts[None] = 0
    for inv in invitations:
        counts[Answer(inv.answer) if inv.answer else None] += 1
    return counts


def my_invitations(meeting, user):
    """The invitations this user may answer (their own, or their municipality's contacts for
    the 情報部門)."""
    return [i for i in visible_invitations(meeting, user)
            if permissions.may_answer_invitation(user, i)]
