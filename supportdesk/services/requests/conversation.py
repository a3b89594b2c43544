"""The conversation on a request: replies, internal notes, support actions, followers, 定型文."""
import logging

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import (Case, Municipality, ReplyTemplate, RequestComment, RequestEvent,
                      SupportAction, SupportRequest)
from ...models.support_request import request_followers
from .. import catalogue
from ...notifications import notify
from ...timeutil import utcnow
from .. import ValidationFailed
from ..reference import bump_reference_version, reply_templates
from .filing import refresh_search_text
from .response_target import Contact, record_first_response
from .transitions import record_event
from .waiting import WaitingEndReason, answers_municipality_wait, end_waiting

logger = logging.getLogger(__name__)


def add_comment(sreq, actor, body, *, internal=False, now=None, uploads=()):
    """A reply the municipality sees, or an internal note for the prefecture side only."""
    now = now or utcnow()
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("本文を入力してください。"), field="body")
    permissions.require(actor, "internal_note" if internal else "reply", sreq)
    comment = RequestComment(request_id=sreq.id, author_id=actor.id, body=body,
                             internal=internal, created_at=now)
    db.session.add(comment)
    db.session.flush()
    if uploads:
        from .attachments import add_attachments

        for row in add_attachments(sreq, actor, uploads, internal=internal, now=now):
            row.comment_id = comment.id
    record_event(sreq, actor, "note" if internal else "comment", internal=internal, now=now,
                 data={"comment_id": comment.id, "excerpt": body[:80]})
    if not internal:
        refresh_search_text(sreq)
        record_first_response(sreq, actor, now, Contact.REPLY)
        if answers_municipality_wait(sreq, actor):
            end_waiting(sreq, actor, WaitingEndReason.MUNICIPALITY_REPLIED, now=now)
    sreq.updated_at = now
    # The words themselves go into the mail (never into chat: chat_facts leaves them out), so
    # that whoever lives in their mail client can read, and answer, without opening the desk.
    notify("request.note" if internal else "request.reply", sreq=sreq, actor=actor, now=now,
           comment_id=comment.id, internal=internal, message=body)
    db.session.flush()
    logger.info("request %s: %s %s by user %s", sreq.id, "note" if internal else "reply",
                comment.id, actor.id)
    return comment


def _sees_internal(sreq, user, sees_internal):
    """`sees_internal` if the caller already asked the permission table, else ask it."""
    return permissions.can(user, "view_internal", sreq) if sees_internal is None else sees_internal


def visible_comments(sreq, user, *, sees_internal=None):
    """The replies (and, for the prefecture side, the internal notes) with their authors in one
    statement, oldest first."""
    stmt = sa.select(RequestComment).where(RequestComment.request_id == sreq.id).options(
        joinedload(RequestComment.author))
    if not _sees_internal(sreq, user, sees_internal):
        stmt = stmt.where(RequestComment.internal.is_(False))
    return db.session.scalars(stmt.order_by(RequestComment.created_at, RequestComment.id)).all()


def timeline(sreq, user, *, sees_internal=None):
    """The history of a request as this user may see it, oldest first, with the actors in the
    same statement."""
    stmt = sa.select(RequestEvent).where(RequestEvent.request_id == sreq.id).options(
        joinedload(RequestEvent.actor))
    if not _sees_internal(sreq, user, sees_internal):
        stmt = stmt.where(RequestEvent.internal.is_(False))
    return db.session.scalars(stmt.order_by(RequestEvent.at, RequestEvent.id)).all()


def support_actions_of(sreq, limit=500):
    """The support given on a request (助言・橋渡し・事例紹介・事業者紹介), oldest first."""
    return db.session.scalars(sa.select(SupportAction).where(SupportAction.request_id == sreq.id)
                              .order_by(SupportAction.at, SupportAction.id).limit(limit)).all()


def record_support_action(sreq, actor, kind, *, target_department=None,
                          target_municipality_id=None, case_id=None, vendor_name=None, note=None,
                          now=None):
    """助言 / 橋渡し (to a 県関係課 or a 先行市町) / 事例紹介 / 事業者紹介 given on a request."""
    now = now or utcnow()
    permissions.require(actor, "record_support", sreq)
    if kind not in catalogue.keys(catalogue.SUPPORT_KIND):
        raise ValidationFailed(_("支援の種類を選んでください。"), field="kind")
    target_department = (target_department or "").strip() or None
    vendor_name = (vendor_name or "").strip() or None
    if kind == "bridge" and not (target_department or target_municipality_id):
        raise ValidationFailed(_("橋渡し先(県関係課または先行市町)を入力してください。"),
                               field="target_department")
    if kind == "case" and not case_id:
        raise ValidationFailed(_("紹介した事例を選んでください。"), field="case_id")
    if kind == "vendor" and not vendor_name:
        raise ValidationFailed(_("紹介した事業者名を入力してください。"), field="vendor_name")
    muni = db.session.get(Municipality, target_municipality_id) if target_municipality_id else None
    case = db.session.get(Case, case_id) if case_id else None
    if case_id and case is None:
        raise ValidationFailed(_("事例が見つかりません。"), field="case_id")
    action = SupportAction(request_id=sreq.id, kind=kind, target_department=target_department,
                           target_municipality_id=muni.id if muni else None,
                           case_id=case.id if case else None, vendor_name=vendor_name,
                           note=(note or "").strip() or None, actor_id=actor.id, at=now)
    db.session.add(action)
    db.session.flush()
    record_event(sreq, actor, "support", now=now, note=action.note, data={
        "support_action_id": action.id, "kind": kind, "target_department": target_department,
        "target_municipality": muni.name if muni else None,
        "case": case.title if case else None, "case_id": case.id if case else None,
        "vendor_name": vendor_name})
    record_first_response(sreq, actor, now, Contact.SUPPORT)
    sreq.updated_at = now
    db.session.flush()
    return action


def follow_request(sreq, user, *, now=None):
    permissions.require(user, "follow", sreq)
    if all(u.id != user.id for u in sreq.followers):
        sreq.followers.append(user)
        record_event(sreq, user, "follow", data={"user": user.display_name, "follow": True},
                     now=now)
        db.session.flush()


def unfollow_request(sreq, user, *, now=None):
    permissions.require(user, "view", sreq)
    kept = [u for u in sreq.followers if u.id != user.id]
    if len(kept) != len(sreq.followers):
        sreq.followers = kept
        record_event(sreq, user, "follow", data={"user": user.display_name, "follow": False},
                     now=now)
        db.session.flush()


def is_following(sreq, user):
    return any(u.id == user.id for u in sreq.followers)


def following_column(user):
    """is_following as a column beside a select of SupportRequest (the request page reads it
    with the request instead of loading every follower)."""
    return sa.exists().where(request_followers.c.request_id == SupportRequest.id,
                             request_followers.c.user_id == user.id).label("following")


# Placeholders a 定型文 may contain, filled per request when the template is used.
REPLY_PLACEHOLDERS = {
    "{番号}": lambda sreq: sreq.display_number,
    "{件名}": lambda sreq: sreq.title or "",
    "{市町}": lambda sreq: sreq.municipality.name if sreq.municipality else "",
}


def fill_reply_template(body, sreq):
    """A 定型文's body for one request: {番号} {件名} {市町} replaced, other text left as typed."""
    for placeholder, value in REPLY_PLACEHOLDERS.items():
        body = body.replace(placeholder, value(sreq))
    return body


def active_reply_templates():
    """The active 定型文 (id, title, body), from the per-process reference cache."""
    return list(reply_templates())


def save_reply_template(actor, *, title, body, template=None, active=True, now=None):
    """Create (template=None) or change a 定型文."""
    permissions.require(actor, "manage", "reply_template")
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise ValidationFailed(_("題名を入力してください。"), field="title")
    if not body:
        raise ValidationFailed(_("本文を入力してください。"), field="body")
    if template is None:
        template = ReplyTemplate(created_by_id=actor.id)
        db.session.add(template)
    template.title, template.body, template.active = title, body, bool(active)
    template.updated_at = now or utcnow()
    db.session.flush()
    bump_reference_version()
    return template


def delete_reply_template(actor, template, *, now=None):
    """Templates are retired, not deleted, so old replies can still be traced to them."""
    permissions.require(actor, "manage", "reply_template")
    template.active = False
    template.updated_at = now or utcnow()
    db.session.flush()
    bump_reference_version()
