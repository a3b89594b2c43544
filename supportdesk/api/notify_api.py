"""Push information (お知らせ) and the caller's in-app notifications over the API."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Announcement, InAppNotification, Municipality, OutboxMessage, Region
from ..services.announcements import (archive_for, compose_announcement, delivery_report,
                                      mark_announcement_read)
from ..services.notification_settings import mark_read, unread_count
from ..timeutil import JST
from ..links import local_path
from . import bp
from .core import (ApiError, api_route, api_user, decode_cursor, dump, encode_cursor, json_response,
                   load_visible, parse_body, parse_query)
from .schemas.notifications import (AnnouncementCreate, AnnouncementListQuery, AnnouncementOut, DeliveryRow,
                           MarkedOut, NotificationListQuery, NotificationOut, NotificationPage,
                           Targeting)

MAX_ANNOUNCEMENTS = 200


def _tokyo(value):
    return value.astimezone(JST) if value is not None else None


def _unprocessable(field, message):
    db.session.rollback()
    raise ApiError(422, _("入力内容に誤りがあります。"), errors=[{"field": field, "message": message}])


def _read_flag(a, user):
    """None when the caller got no bell entry for it; else whether every entry is read."""
    reads = db.session.scalars(sa.select(InAppNotification.read_at).where(
        InAppNotification.announcement_id == a.id, InAppNotification.user_id == user.id)).all()
    return all(r is not None for r in reads) if reads else None


def _chat_status(a):
    # The municipality's chat row (the unit of work writes it when the announcement is sent).
    rows = db.session.execute(sa.select(OutboxMessage.municipality_id, OutboxMessage.status).where(
        OutboxMessage.announcement_id == a.id, OutboxMessage.channel == "webhook")
        .order_by(OutboxMessage.id))
    return {mid: status for mid, status in rows}


def announcement_out(a, user, detail=False):
    sender = permissions.can(user, "track", a)
    targeting = delivery = None
    if sender:
        codes = []
        if a.target_municipality_ids:
            codes = list(db.session.scalars(sa.select(Municipality.code).where(
                Municipality.id.in_(a.target_municipality_ids)).order_by(Municipality.code)))
        targeting = Targeting(target_all=a.target_all, region_ids=a.target_region_ids or [],
                              population_bands=a.target_population_bands or [],
                              dx_staff_bands=a.target_dx_staff_bands or [],
                              municipality_codes=codes, departments=a.departments)
        if detail:
            chat = _chat_status(a)
            delivery = [DeliveryRow(municipality_code=row["municipality"].code,
                                    chat_status=(row["chat"].status if row["chat"]
                                                 else chat.get(row["municipality"].id)),
                                    notified_users=len(row["readers"]),
                                    read_users=sum(1 for _u, at in row["readers"] if at))
                        for row in delivery_report(a)]
    return AnnouncementOut(id=a.id, title=a.title, body=a.body, category=a.category,
                           links=a.links or [], status=a.status,
                           scheduled_at=_tokyo(a.scheduled_at), sent_at=_tokyo(a.sent_at),
                           read=_read_flag(a, user), targeting=targeting, delivery=delivery)


@api_route(bp, "/announcements", "GET",
           summary="Push information: received ones for municipal staff, all for senders",
           query=AnnouncementListQuery, response=list[AnnouncementOut], tag="announcements",
           errors=(401, 403, 429))
def list_announcements():
    args = parse_query(AnnouncementListQuery)
    user = api_user()
    if not permissions.can(user, "view", "announcement"):
        raise ApiError(403, _("この操作を行う権限がありません。"))
    if permissions.can(user, "track", "announcement"):
        stmt = sa.select(Announcement)
        if args.status:
            stmt = stmt.where(Announcement.status == args.status)
        stmt = stmt.order_by(Announcement.id.desc()).limit(MAX_ANNOUNCEMENTS)
        rows = db.session.scalars(stmt).all()
    else:
        # Recipients only ever see what was sent to their municipality.
        rows = [] if args.status not in (None, "sent") else archive_for(user)
    return json_response(dump([announcement_out(a, user) for a in rows]))


@api_route(bp, "/announcements/<int:announcement_id>", "GET",
           summary="One announcement (reading it here does not mark it read)",
           response=AnnouncementOut, tag="announcements")
def get_announcement(announcement_id):
    a = load_visible(Announcement, announcement_id)
    return json_response(dump(announcement_out(a, api_user(), detail=True)))


@api_route(bp, "/announcements/<int:announcement_id>/read", "POST",
           summary="Mark an announcement read for the caller", scope="write",
           response=AnnouncementOut, tag="announcements", errors=(401, 403, 404, 429))
def read_announcement(announcement_id):
    a = load_visible(Announcement, announcement_id)
    mark_announcement_read(a, api_user())
    db.session.commit()
    return json_response(dump(announcement_out(a, api_user(), detail=True)))


@api_route(bp, "/announcements", "POST",
           summary="Compose and send now, or schedule (liaisons and admins)", scope="write",
           body=AnnouncementCreate, response=AnnouncementOut, status=201, tag="announcements",
           errors=(401, 403, 429))
def create_announcement():
    body = parse_body(AnnouncementCreate)
    user = api_user()
    if not permissions.can(user, "create", "announcement"):
        raise ApiError(403, _("この操作を行う権限がありません。"))
    if body.region_ids:
        known = set(db.session.scalars(sa.select(Region.id).where(Region.id.in_(body.region_ids))))
        if known != set(body.region_ids):
            _unprocessable("region_ids", _("存在しない圏域が含まれています。"))
    muni_ids = []
    if body.municipality_codes:
        muni_ids = list(db.session.scalars(sa.select(Municipality.id).where(
            Municipality.code.in_(body.municipality_codes))))
        if len(muni_ids) != len(set(body.municipality_codes)):
            _unprocessable("municipality_codes", _("存在しない市町コードが含まれています。"))
    a = compose_announcement(
        user, title=body.title, body=body.body, category=body.category, links=body.links,
        target_all=body.target_all, region_ids=body.region_ids,
        population_bands=body.population_bands, dx_staff_bands=body.dx_staff_bands,
        municipality_ids=muni_ids, departments=body.departments, scheduled_at=body.scheduled_at)
    db.session.commit()
    return json_response(dump(announcement_out(a, user, detail=True)), status=201)


def notification_out(n):
    return NotificationOut(id=n.id, event_type=n.event_type, title=n.title, body=n.body,
                           link=local_path(n.link), request_id=n.request_id,
                           announcement_id=n.announcement_id, created_at=_tokyo(n.created_at),
                           read_at=_tokyo(n.read_at))


def _bad_cursor():
    raise ApiError(400, _("カーソルが正しくありません。"))


@api_route(bp, "/notifications", "GET",
           summary="The caller's in-app notifications (newest or unread first), cursor pagination",
           query=NotificationListQuery, response=NotificationPage, tag="notifications")
def list_notifications():
    args = parse_query(NotificationListQuery)
    user = api_user()
    permissions.require(user, "view", "notification")
    N = InAppNotification
    stmt = sa.select(N).where(N.user_id == user.id)
    if args.unread:
        stmt = stmt.where(N.read_at.is_(None))
    unread_first = args.order == "unread_first"
    # Keyset pagination. Newest first: on id. Unread first: on (unread, id), so a notification
    # arriving between pages lands before the first page and nothing repeats or goes missing.
    if args.cursor:
        cur = decode_cursor(args.cursor)
        if unread_first:
            if not (isinstance(cur, list) and len(cur) == 2 and cur[0] in (0, 1)
                    and isinstance(cur[1], int)):
                _bad_cursor()
            if cur[0] == 1:
                stmt = stmt.where(sa.or_(sa.and_(N.read_at.is_(None), N.id < cur[1]),
                                         N.read_at.is_not(None)))
            else:
                stmt = stmt.where(N.read_at.is_not(None), N.id < cur[1])
        else:
            if not isinstance(cur, int) or isinstance(cur, bool):
                _bad_cursor()
            stmt = stmt.where(N.id < cur)
    order = [N.id.desc()]
    if unread_first:
        order.insert(0, sa.case((N.read_at.is_(None), 0), else_=1))
    rows = db.session.scalars(stmt.order_by(*order).limit(args.limit + 1)).all()
    more = len(rows) > args.limit
    rows = rows[:args.limit]
    next_cursor = None
    if more:
        last = rows[-1]
        key = [int(last.read_at is None), last.id] if unread_first else last.id
        next_cursor = encode_cursor(key)
    page = NotificationPage(items=[notification_out(n) for n in rows],
                            unread_count=unread_count(user), next_cursor=next_cursor)
    return json_response(dump(page))


@api_route(bp, "/notifications/<int:notification_id>/read", "POST",
           summary="Mark one of the caller's notifications read", scope="write",
           response=NotificationOut, tag="notifications", errors=(401, 403, 404, 429))
def read_notification(notification_id):
    user = api_user()
    n = db.session.get(InAppNotification, notification_id)
    if n is None:
        raise ApiError(404, _("見つかりません。"))
    permissions.require(user, "view", n)  # someone else's: 404
    mark_read(user, n.id)
    db.session.commit()
    db.session.refresh(n)
    return json_response(dump(notification_out(n)))


@api_route(bp, "/notifications/read-all", "POST",
           summary="Mark all of the caller's notifications read",
           scope="write", response=MarkedOut, tag="notifications", errors=(401, 403, 429))
def read_all_notifications():
    user = api_user()
    permissions.require(user, "view", "notification")
    count = mark_read(user)
    db.session.commit()
    return json_response(dump(MarkedOut(marked=count)))
