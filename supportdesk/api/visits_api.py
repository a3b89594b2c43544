"""Visits over the API: list by date range, read, create, confirm, cancel and record."""
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from .. import permissions
from ..extensions import db
from ..models import Municipality, SupportRequest, User, Visit
from ..services.visits.lifecycle import (ATTENDEE_ROLES, DoubleBooking, cancel_visit,
                                         confirm_visit, create_visit, may_take, record_visit,
                                         visit_actions)
from ..timeutil import JST
from . import bp
from .core import (ApiError, api_route, api_user, dump, json_response, load_visible, parse_body,
                   parse_query, problem)
from .schemas.visits import (Clash, PersonOut, VisitCancel, VisitCreate, VisitListQuery, VisitOut,
                           VisitRecordIn, VisitRecordOut)

MAX_RANGE_DAYS = 366
MAX_ROWS = 2000


@bp.errorhandler(CSRFError)
def _csrf_refused(err):
    # A browser session POSTing without its CSRF token (token callers are exempt): the same
    # Japanese explanation as the app's 400 page, as problem+json. (Belongs in core.setup;
    # kept here so this branch touches only new files.)
    return problem(400, _("画面の有効期限が切れた可能性があります。前の画面に戻り、再読み込みしてから"
                          "もう一度お試しください。"), err.description)


def _tokyo(value):
    return value.astimezone(JST) if value is not None else None


def _person(user):
    return PersonOut(id=user.id, display_name=user.display_name, role=user.role)


def visit_out(visit, user):
    record = None
    if visit.record is not None and permissions.can(user, "view_record", visit):
        r = visit.record
        record = VisitRecordOut(
            attendees_executives=r.attendees_executives, attendees_business=r.attendees_business,
            attendees_information=r.attendees_information, attendees_other=r.attendees_other,
            covered=r.covered, issues=r.issues, follow_ups=r.follow_ups,
            recorded_by=r.recorded_by.display_name, recorded_at=_tokyo(r.recorded_at))
    # An expert attending a visit may not be on the request behind it: no id then.
    request_id = visit.request_id if (
        visit.sreq is not None and permissions.can(user, "view", visit.sreq)) else None
    return VisitOut(
        id=visit.id, kind=visit.kind, state=visit.state, title=visit.title,
        starts_at=_tokyo(visit.starts_at), ends_at=_tokyo(visit.ends_at), venue=visit.venue,
        online_details=visit.online_details,
        municipality_codes=[m.code for m in visit.municipalities],
        liaison=_person(visit.liaison) if visit.liaison is not None else None,
        attendees=[_person(u) for u in sorted(visit.attendees, key=lambda u: u.id)],
        request_id=request_id, cancel_reason=visit.cancel_reason,
        postponed_to_id=visit.postponed_to_id, allowed_actions=visit_actions(visit, user),
        record=record, version=visit.version, updated_at=_tokyo(visit.updated_at))


def _respond(visit, status=200):
    return json_response(dump(visit_out(visit, api_user())), status=status,
                         headers={"ETag": f'"{visit.version}"'})


def load_for_change(visit_id):
    """The visit, refusing with 409 and the current version when If-Match names an older one."""
    visit = load_visible(Visit, visit_id)
    wanted = request.headers.get("If-Match")
    current = f'"{visit.version}"'
    if wanted and wanted.strip() != "*" and current not in [w.strip() for w in wanted.split(",")]:
        raise ApiError(409, _("他の人が先に更新しました。最新の内容を確認してください。"),
                       headers={"ETag": current}, extra={"current_version": visit.version})
    return visit


def _refuse(status, title, field=None):
    # Whatever the service flushed so far must not reach the token-use commit after the request.
    db.session.rollback()
    errors = [{"field": field, "message": title}] if field else None
    raise ApiError(status, title if status != 422 else _("入力内容に誤りがあります。"), errors=errors)


def _forbidden():
    _refuse(403, _("この操作を行う権限がありません。"))


def _load_for_action(visit_id, action, schema=None):
    """The visit and the parsed body (None without a schema) for a write: 404, 409 on a stale
    If-Match, 422 on a bad body, then 403 unless the caller's role can ever take `action`."""
    visit = load_for_change(visit_id)
    body = parse_body(schema) if schema is not None else None
    if not may_take(api_user(), action, visit):
        _forbidden()
    return visit, body


def _double_booking(exc):
    db.session.rollback()
    clashes = [Clash(user_id=person.id, name=person.display_name, visit_id=other.id,
                     title=other.title, starts_at=_tokyo(other.starts_at),
                     ends_at=_tokyo(other.ends_at)).model_dump(mode="json")
               for person, other in exc.clashes]
    raise ApiError(409, _("日程が重複しています。"), detail=str(exc), extra={"clashes": clashes})


@api_route(bp, "/visits", "GET",
           summary="Visits the caller may see in a date range (Asia/Tokyo days)",
           query=VisitListQuery, response=list[VisitOut], tag="visits")
def list_visits():
    args = parse_query(VisitListQuery)
    if args.to < args.from_:
        raise ApiError(422, _("入力内容に誤りがあります。"),
                       errors=[{"field": "to", "message": _("終了日は開始日以降にしてください。")}])
    if (args.to - args.from_).days > MAX_RANGE_DAYS:
        raise ApiError(422, _("入力内容に誤りがあります。"),
                       errors=[{"field": "to", "message": _("期間は366日以内で指定してください。")}])
    user = api_user()
    start = datetime.combine(args.from_, time(), JST)
    end = datetime.combine(args.to + timedelta(days=1), time(), JST)
    stmt = sa.select(Visit).where(Visit.starts_at < end, Visit.ends_at > start)
    if args.state:
        stmt = stmt.where(Visit.state == args.state)
    if args.kind:
        stmt = stmt.where(Visit.kind == args.kind)
    stmt = permissions.scope_visits(stmt, user).order_by(Visit.starts_at, Visit.id).limit(MAX_ROWS)
    return json_response(dump([visit_out(v, user) for v in db.session.scalars(stmt)]))


@api_route(bp, "/visits/<int:visit_id>", "GET", summary="One visit", response=VisitOut,
           tag="visits")
def get_visit(visit_id):
    return _respond(load_visible(Visit, visit_id))


def _municipalities(codes):
    munis = db.session.scalars(sa.select(Municipality).where(Municipality.code.in_(codes))).all()
    if len(munis) != len(set(codes)):
        _refuse(422, _("存在しない市町コードが含まれています。"), "municipality_codes")
    return munis


def _attendees(ids):
    users = db.session.scalars(sa.select(User).where(
        User.id.in_(ids), User.role.in_(ATTENDEE_ROLES), User.active.is_(True))).all()
    if len(users) != len(set(ids)):
        _refuse(422, _("リエゾンまたは専門人材を指定してください。"), "attendee_ids")
    return users


@api_route(bp, "/visits", "POST",
           summary="Create a visit (liaisons); confirm=true confirms it at once",
           scope="write", body=VisitCreate, response=VisitOut, status=201, tag="visits",
           errors=(401, 403, 409, 429))
def create_visit_api():
    body = parse_body(VisitCreate)
    user = api_user()
    if not permissions.can(user, "manage", "visit"):
        _forbidden()
    sreq = None
    if body.request_id is not None:
        sreq = db.session.get(SupportRequest, body.request_id)
        if sreq is None or not permissions.can(user, "view", sreq):
            _refuse(422, _("指定された依頼が見つかりません。"), "request_id")
    try:
        visit = create_visit(user, kind=body.kind, title=body.title, starts_at=body.starts_at,
                             ends_at=body.ends_at,
                             municipalities=_municipalities(body.municipality_codes),
                             attendees=_attendees(body.attendee_ids), sreq=sreq, venue=body.venue,
                             online_details=body.online_details, confirm=body.confirm)
    except DoubleBooking as exc:
        _double_booking(exc)
    db.session.commit()
    return _respond(visit, status=201)


@api_route(bp, "/visits/<int:visit_id>/confirm", "POST",
           summary="候補 -> 確定; 409 on a double booking or a stale If-Match",
           scope="write", response=VisitOut, tag="visits", errors=(401, 403, 404, 409, 429))
def confirm_visit_api(visit_id):
    visit, _body = _load_for_action(visit_id, "confirm")
    try:
        confirm_visit(visit, api_user())
    except DoubleBooking as exc:
        _double_booking(exc)
    db.session.commit()
    return _respond(visit)


@api_route(bp, "/visits/<int:visit_id>/cancel", "POST",
           summary="Cancel a visit with a reason (If-Match: the ETag of GET, optional)",
           scope="write", body=VisitCancel, response=VisitOut, tag="visits",
           errors=(401, 403, 404, 409, 429))
def cancel_visit_api(visit_id):
    visit, body = _load_for_action(visit_id, "cancel", VisitCancel)
    cancel_visit(visit, api_user(), body.reason)
    db.session.commit()
    return _respond(visit)


@api_route(bp, "/visits/<int:visit_id>/record", "POST",
           summary="Write (or rewrite) the record of a confirmed or held visit (If-Match optional)",
           scope="write", body=VisitRecordIn, response=VisitOut, tag="visits",
           errors=(401, 403, 404, 409, 429))
def record_visit_api(visit_id):
    visit, body = _load_for_action(visit_id, "record", VisitRecordIn)
    record_visit(visit, api_user(), **body.model_dump())
    db.session.commit()
    return _respond(visit)
