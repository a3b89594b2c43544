"""Meetings and forums over the API with the pages' scoping: municipal staff see the meetings
their municipality is invited to and only its answers, never internal minutes or items; the
invitee (or the municipality's 情報部門 for a contact) answers."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Meeting, MeetingInvitation
from ..services.meetings.answers import answer_invitation, visible_invitations
from ..services.meetings.items import items_of
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response, load_visible, parse_body, \
    parse_query
from .pages import keyset_page
from .schemas.meetings import (AnswerIn, InvitationOut, ItemOut, MeetingListQuery, MeetingOut,
                               MeetingPage, MeetingSummary)


def _summary(m):
    return dict(id=m.id, title=m.title, series=m.series.title, series_kind=m.series.kind,
                status=m.status, starts_at=m.starts_at, ends_at=m.ends_at)


def _refuse_unless_viewer(user):
    if not permissions.can(user, "view", "meeting"):
        raise ApiError(403, _("この操作を行う権限がありません。"))


def _invitation(i):
    return InvitationOut(id=i.id, municipality_code=i.municipality.code if i.municipality else None,
                         name=i.name, level=i.level, answer=i.answer,
                         substitute_name=i.substitute_name, attended=i.attended)


def _detail(m, user):
    items = [ItemOut(id=it.id, kind=it.kind, title=it.title, owner_kind=it.owner_kind,
                     owner=it.owner_label, due_on=it.due_on, status=it.status,
                     internal=it.internal, close_note=it.close_note) for it in items_of(m, user)]
    return MeetingOut(**_summary(m), venue=m.venue, online_url=m.online_url, agenda=m.agenda,
                      answer_deadline=m.answer_deadline,
                      minutes=m.minutes if m.minutes and permissions.may_read_minutes(user, m)
                      else None,
                      invitations=[_invitation(i) for i in visible_invitations(m, user)],
                      items=items)


@api_route(bp, "/meetings", "GET", summary="Meetings and forums the caller may see, newest first",
           query=MeetingListQuery, response=MeetingPage, tag="meetings", errors=(401, 403, 429))
def list_meetings():
    args = parse_query(MeetingListQuery)
    user = api_user()
    _refuse_unless_viewer(user)
    stmt = permissions.scope_meetings(sa.select(Meeting), user)
    rows, next_cursor = keyset_page(stmt, Meeting.id, args)
    return json_response(dump(MeetingPage(items=[MeetingSummary(**_summary(m)) for m in rows],
                                          next_cursor=next_cursor)))


@api_route(bp, "/meetings/<int:meeting_id>", "GET",
           summary="One meeting with the invitations, minutes and items the caller may read",
           response=MeetingOut, tag="meetings", errors=(401, 403, 404, 429))
def get_meeting(meeting_id):
    user = api_user()
    _refuse_unless_viewer(user)
    m = load_visible(Meeting, meeting_id)
    return json_response(dump(_detail(m, user)))


@api_route(bp, "/meetings/<int:meeting_id>/invitations/<int:invitation_id>/answer", "POST",
           summary="Answer an invitation: attend (出席), absent (欠席) or proxy (代理出席, naming "
                   "the substitute)", scope="write", body=AnswerIn, response=InvitationOut,
           tag="meetings", errors=(401, 404, 409, 429))
def answer_meeting(meeting_id, invitation_id):
    user = api_user()
    _refuse_unless_viewer(user)
    m = load_visible(Meeting, meeting_id)
    inv = db.session.get(MeetingInvitation, invitation_id)
    if inv is None or inv.meeting_id != m.id:
        raise ApiError(404, _("見つかりません。"))
    permissions.require(user, "view", inv)
    data = parse_body(AnswerIn)
    answer_invitation(inv, user, answer=data.answer, substitute_name=data.substitute_name,
                      note=data.note)
    db.session.commit()
    return json_response(dump(_invitation(inv)))
