"""Decisions and action items of a meeting: each with one owner (a municipality, a prefectural
department or a person) and a due date, closed with a note; overdue items for the liaisons."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ... import permissions
from ...extensions import db
from ...models import Department, Meeting, MeetingActionItem, Municipality, User
from ...timeutil import JST, utcnow
from ...workflows.meetings import ItemKind, ItemStatus, MeetingStatus, OwnerKind
from .. import ValidationFailed
from ..audit import record_audit

logger = logging.getLogger(__name__)


def _owner(owner_kind, owner_id):
    model = {OwnerKind.MUNICIPALITY: Municipality, OwnerKind.DEPARTMENT: Department,
             OwnerKind.PERSON: User}.get(owner_kind)
    if model is None:
        raise ValidationFailed(_("担当の種類を選んでください。"), field="owner_kind")
    owner = db.session.get(model, owner_id) if owner_id else None
    if owner is None or not getattr(owner, "active", True):
        raise ValidationFailed(_("担当を選んでください。"), field="owner_id")
    return owner


def add_item(meeting, actor, *, kind, title, owner_kind, owner_id, due_on, detail=None,
             internal=False, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationFailed(_("中止した会議には追加できません。"))
    if kind not in {k.value for k in ItemKind}:
        raise ValidationFailed(_("決定事項か宿題かを選んでください。"), field="kind")
    if not (title or "").strip():
        raise ValidationFailed(_("内容を入力してください。"), field="title")
    if due_on is None:
        raise ValidationFailed(_("期限を入力してください。"), field="due_on")
    owner = _owner(owner_kind, owner_id)
    if internal and owner_kind == OwnerKind.MUNICIPALITY:
        raise ValidationFailed(_("市町が担当する項目は県内部限りにできません(担当の市町が見られなくなります)。"),
                               field="internal")
    item = MeetingActionItem(
        meeting=meeting, kind=kind, title=title.strip(), detail=(detail or "").strip() or None,
        owner_kind=owner_kind, due_on=due_on, internal=bool(internal),
        status=ItemStatus.OPEN.value, created_by_id=actor.id, created_at=now,
        owner_municipality_id=owner.id if owner_kind == OwnerKind.MUNICIPALITY else None,
        owner_department_id=owner.id if owner_kind == OwnerKind.DEPARTMENT else None,
        owner_user_id=owner.id if owner_kind == OwnerKind.PERSON else None)
    db.session.add(item)
    db.session.flush()
    record_audit("meeting.item.add", actor=actor, target=item, now=now, meeting_id=meeting.id,
                 owner_kind=owner_kind, owner_id=owner.id, internal=item.internal)
    return item


def close_item(item, actor, *, note, now=None):
    """Close an item with a note: the liaisons any, a municipality its own, a person theirs."""
    now = now or utcnow()
    if not permissions.may_close_action_item(actor, item):
        if not permissions.can(actor, "view", item):
            raise permissions.PermissionDenied(f"{actor.id} may not see item {item.id}")
        raise ValidationFailed(_("この項目を完了にできるのは担当者とリエゾンです。"))
    if item.status == ItemStatus.CLOSED:
        raise ValidationFailed(_("この項目はすでに完了しています。"))
    if not (note or "").strip():
        raise ValidationFailed(_("完了の内容(メモ)を入力してください。"), field="note")
    item.status, item.close_note = ItemStatus.CLOSED.value, note.strip()
    item.closed_at, item.closed_by_id = now, actor.id
    db.session.flush()
    record_audit("meeting.item.close", actor=actor, target=item, now=now,
                 meeting_id=item.meeting_id)
    logger.info("meeting item %s closed by user %s", item.id, actor.id)
    return item


def visible_items(user, stmt=None):
    stmt = stmt if stmt is not None else sa.select(MeetingActionItem)
    return permissions.scope_action_items(stmt, user)


def items_of(meeting, user):
    return db.session.scalars(visible_items(user, sa.select(MeetingActionItem).where(
        MeetingActionItem.meeting_id == meeting.id)).order_by(MeetingActionItem.id)).all()


def is_overdue(item, today):
    return item.status == ItemStatus.OPEN and item.due_on < today


def overdue_condition(user, now=None):
    """The overdue open items a liaison follows, as a WHERE condition (None for a user who runs
    no meetings): those of meetings they run, those they own, and those owned by a
    municipality of their regions."""
    if not permissions.can(user, "manage", "meeting"):
        return None
    today = (now or utcnow()).astimezone(JST).date()
    regions = permissions.liaison_region_filter(user)
    mine = sa.select(Meeting.id).where(Meeting.created_by_id == user.id)
    in_regions = sa.select(Municipality.id).where(Municipality.region_id.in_(regions))
    return sa.and_(
        MeetingActionItem.status == ItemStatus.OPEN.value, MeetingActionItem.due_on < today,
        sa.or_(MeetingActionItem.meeting_id.in_(mine), MeetingActionItem.owner_user_id == user.id,
               MeetingActionItem.owner_municipality_id.in_(in_regions)))


def overdue_for_liaison(user, now=None, limit=20):
    """Overdue open items a liaison follows (overdue_condition), oldest due first, with their
    meeting and owner. One query (the queue page asks overdue_exists first)."""
    condition = overdue_condition(user, now)
    if condition is None:
        return []
    stmt = sa.select(MeetingActionItem).where(condition) \
        .order_by(MeetingActionItem.due_on, MeetingActionItem.id).limit(limit) \
        .options(joinedload(MeetingActionItem.meeting),
                 joinedload(MeetingActionItem.owner_municipality),
                 joinedload(MeetingActionItem.owner_department),
                 joinedload(MeetingActionItem.owner_user))
    return db.session.scalars(stmt).all()


def overdue_exists(user, now=None):
    """Whether overdue_for_liaison has anything, as an SQL boolean (to ride along another
    statement); false for a user who runs no meetings."""
    condition = overdue_condition(user, now)
    return sa.exists().where(condition) if condition is not None else sa.false()


def municipality_items(municipality_id, user, limit=50):
    """The items of a municipality's dossier, as the user may read them: those it owns and
    those of the meetings it was invited to; open ones first, by due date."""
    from ...models import MeetingInvitation

    invited = sa.select(MeetingInvitation.meeting_id).where(
        MeetingInvitation.municipality_id == municipality_id)
    stmt = visible_items(user, sa.select(MeetingActionItem).where(sa.or_(
        MeetingActionItem.owner_municipality_id == municipality_id,
        MeetingActionItem.meeting_id.in_(invited))))
    return db.session.scalars(stmt.order_by(
        (MeetingActionItem.status == ItemStatus.CLOSED.value), MeetingActionItem.due_on,
        MeetingActionItem.id).limit(limit)).all()
