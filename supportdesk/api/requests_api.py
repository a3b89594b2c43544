"""Requests over the API: list with the queue's filters and cursor pagination, and read."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Municipality, RequestComment, RequestEvent, SupportRequest, Theme
from ..models.support_request import request_themes
from ..services.requests.attachments import visible_attachments
from ..services.requests.search import search_conditions
from ..services.requests.transitions import allowed_actions
from . import bp
from .core import (ApiError, api_route, api_user, decode_cursor, dump, encode_cursor, json_response,
                   load_visible, parse_query)
from .schemas.requests import AttachmentOut, CommentOut, EventOut, RequestListQuery, RequestOut, RequestPage, RequestSummary


def summary_of(s):
    return dict(id=s.id, number=s.number, kind=s.kind, state=s.state, title=s.title,
                municipality_code=s.municipality.code, region=s.region.name,
                submitted_at=s.submitted_at, first_response_due_at=s.first_response_due_at,
                waiting_for=s.waiting_for, waiting_since=s.waiting_since, updated_at=s.updated_at, version=s.version)


def detail_of(s, user):
    internal_ok = permissions.can(user, "view_internal", s)
    events = db.session.scalars(sa.select(RequestEvent).where(RequestEvent.request_id == s.id)
                                .order_by(RequestEvent.at, RequestEvent.id)).all()
    comments = db.session.scalars(sa.select(RequestComment).where(RequestComment.request_id == s.id)
                                  .order_by(RequestComment.created_at, RequestComment.id)).all()
    return RequestOut(
        **summary_of(s), origin=s.origin, body=s.body, themes=[t.code for t in s.themes],
        help_wanted=s.help_wanted, urgent=s.urgent, needed_by=s.needed_by, program=s.program,
        formats=s.formats, audiences=s.audiences, expected_participants=s.expected_participants,
        venue=s.venue, online=s.online, co_municipality_codes=[m.code for m in s.co_municipalities],
        filed_outside_info_dept=s.filed_outside_info_dept, info_dept_reached=s.info_dept_reached,
        allowed_actions=[a.value for a in allowed_actions(s, user)],
        attachments=[attachment_out(a) for a in visible_attachments(s, user)],
        history=[EventOut(at=e.at, actor=e.actor.display_name if e.actor else None, kind=e.kind,
                          action=e.action, from_state=e.from_state, to_state=e.to_state,
                          data=e.data, note=e.note)
                 for e in events if internal_ok or not e.internal],
        conversation=[CommentOut(id=c.id, at=c.created_at, author=c.author.display_name, body=c.body,
                                 internal=c.internal)
                      for c in comments if internal_ok or not c.internal])


def attachment_out(a):
    return AttachmentOut(id=a.id, filename=a.filename, content_type=a.content_type, size=a.size,
                         sha256=a.sha256, purpose=a.purpose, internal=a.internal,
                         uploaded_at=a.uploaded_at)


def load_request(request_id, action="view"):
    """The request, or 404 when it is missing or out of the caller's sight (existence never
    leaks); 403 when the caller sees it but may not do `action` on it."""
    sreq = load_visible(SupportRequest, request_id)
    if action != "view" and not permissions.can(api_user(), action, sreq):
        raise ApiError(403, _("この操作の権限がありません。"))
    return sreq


@api_route(bp, "/requests", "GET", summary="Requests the caller may see, newest first",
           query=RequestListQuery, response=RequestPage, tag="requests")
def list_requests():
    args = parse_query(RequestListQuery)
    user = api_user()
    stmt = permissions.scope_requests(sa.select(SupportRequest), user)
    if args.state != "draft":
        # Lists show drafts only when asked for (scope_requests keeps them to their filer).
        stmt = stmt.where(SupportRequest.state != "draft")
    if args.state:
        stmt = stmt.where(SupportRequest.state == args.state)
    if args.kind:
        stmt = stmt.where(SupportRequest.kind == args.kind)
    if args.municipality:
        stmt = stmt.where(SupportRequest.municipality_id.in_(
            sa.select(Municipality.id).where(Municipality.code == args.municipality)))
    if args.region_id:
        stmt = stmt.where(SupportRequest.region_id == args.region_id)
    if args.theme:
        stmt = stmt.where(SupportRequest.id.in_(
            sa.select(request_themes.c.request_id).join(Theme).where(Theme.code == args.theme)))
    stmt = stmt.where(*search_conditions(args.q or ""))
    if args.cursor:
        last_id = decode_cursor(args.cursor)
        if not isinstance(last_id, int):
            raise ApiError(400, "カーソルが正しくありません。")
        stmt = stmt.where(SupportRequest.id < last_id)
    # Keyset on id (newest first): rows inserted between pages land before the first page,
    # so later pages never repeat or skip a row.
    rows = db.session.scalars(stmt.order_by(SupportRequest.id.desc()).limit(args.limit + 1)).all()
    more = len(rows) > args.limit
    rows = rows[:args.limit]
    page = RequestPage(items=[RequestSummary(**summary_of(s)) for s in rows],
                       next_cursor=encode_cursor(rows[-1].id) if more else None)
    return json_response(dump(page))


@api_route(bp, "/requests/<int:request_id>", "GET", summary="One request with its history and conversation",
           response=RequestOut, tag="requests")
def get_request(request_id):
    sreq = load_request(request_id)
    return json_response(dump(detail_of(sreq, api_user())), headers={"ETag": f'"{sreq.version}"'})
