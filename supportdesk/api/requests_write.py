"""Writing requests over the API: create (draft or submit), edit with If-Match, transitions and
comments. Every rule lives in the services; this module maps JSON to their arguments."""
import re
from datetime import timezone

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Municipality, SupportRequest, Theme
from ..services.requests.conversation import add_comment
from ..services.requests.filing import StaleEdit, create_request, perform_action, update_request
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response, parse_body
from .requests_api import detail_of, load_request
from .schemas.requests import CommentIn, CommentOut, RequestCreate, RequestOut, RequestUpdate, TransitionIn

IF_MATCH = {"If-Match": ({"type": "string", "maxLength": 40},
                         'The version from the ETag of GET /requests/{id}, e.g. "3"', False)}
# PATCH without If-Match answers 428 with the current version (a blind overwrite is refused).
IF_MATCH_REQUIRED = {"If-Match": ({"type": "string", "maxLength": 40},
                                  'Required: the version from the ETag of GET /requests/{id}, '
                                  'e.g. "3", or *; without it the answer is 428 with '
                                  'current_version', True)}
ETAG = {"ETag": 'The request\'s version, e.g. "3": send it back as If-Match'}
# Fields the API names differently from the service (codes instead of ids).
NOT_FIELDS = {"kind", "title", "municipality_code", "origin", "submit"}


def _field_error(field, message):
    return ApiError(422, _("入力内容に誤りがあります。"), errors=[{"field": field, "message": message}])


def _theme_ids(codes):
    rows = dict(db.session.execute(sa.select(Theme.code, Theme.id).where(
        Theme.code.in_(codes), Theme.active.is_(True))).all())
    missing = [c for c in codes if c not in rows]
    if missing:
        raise _field_error("themes", _("存在しないテーマです: %(codes)s", codes=", ".join(missing)))
    return [rows[c] for c in codes]


def _municipality_ids(codes, field):
    rows = dict(db.session.execute(sa.select(Municipality.code, Municipality.id).where(
        Municipality.code.in_(codes))).all())
    missing = [c for c in codes if c not in rows]
    if missing:
        raise _field_error(field, _("存在しない市町コードです: %(codes)s", codes=", ".join(missing)))
    return [rows[c] for c in codes]


def service_fields(data):
    """The fields the caller sent, as update_request / create_request keyword arguments."""
    out = {}
    for name in data.model_fields_set - NOT_FIELDS:
        value = getattr(data, name)
        if name == "themes":
            out["theme_ids"] = _theme_ids(value or [])
        elif name == "co_municipality_codes":
            out["co_municipality_ids"] = _municipality_ids(value or [], name)
        elif name == "candidate_dates":
            out[name] = [(c.starts_at.astimezone(timezone.utc), c.ends_at.astimezone(timezone.utc))
                         for c in value or []]
        else:
            out[name] = value
    return out


def _detail_response(sreq, status=200):
    headers = {"ETag": f'"{sreq.version}"'}
    if status == 201:
        headers["Location"] = f"/api/v1/requests/{sreq.id}"
    return json_response(dump(detail_of(sreq, api_user())), status, headers=headers)


def _version_from(if_match, sreq):
    """If-Match: "3", W/"3" or *; anything else can never match."""
    if if_match.strip() == "*":
        return sreq.version
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,12})"?\s*', if_match)
    return int(match.group(1)) if match else -1


def _stale(exc, request_id):
    db.session.rollback()
    current = exc.current_version or db.session.get(SupportRequest, request_id).version
    return ApiError(409, str(exc), headers={"ETag": f'"{current}"'},
                    extra={"current_version": current, "changes": exc.changes})


@api_route(bp, "/requests", "POST",
           summary="Create a request as a draft, or submit it (submit: true)",
           scope="write", body=RequestCreate, response=RequestOut, status=201, tag="requests",
           errors=(401, 404, 409, 429), response_headers=dict(ETAG, Location="The new request"))
def create_request_api():
    data = parse_body(RequestCreate)
    user = api_user()
    if permissions.scope_of(user, "create", "request") is None:
        raise ApiError(403, _("この操作の権限がありません。"))
    municipality_id = None
    if data.municipality_code:
        municipality_id = _municipality_ids([data.municipality_code], "municipality_code")[0]
    sreq = create_request(user, data.kind, municipality_id=municipality_id, origin=data.origin,
                          submit=data.submit, title=data.title, **service_fields(data))
    db.session.commit()
    return _detail_response(sreq, 201)


@api_route(bp, "/requests/<int:request_id>", "PATCH",
           summary="Change fields of a request; If-Match with the version is required",
           scope="write", body=RequestUpdate, response=RequestOut, tag="requests",
           errors=(401, 404, 409, 428, 429), headers=IF_MATCH_REQUIRED, response_headers=ETAG)
def update_request_api(request_id):
    sreq = load_request(request_id, "edit")
    if_match = request.headers.get("If-Match")
    if not if_match:
        raise ApiError(428, _("If-Match ヘッダーに取得時の版(ETag)を指定してください。"),
                       headers={"ETag": f'"{sreq.version}"'},
                       extra={"current_version": sreq.version})
    data = parse_body(RequestUpdate)
    fields = service_fields(data)
    if data.title is not None:
        fields["title"] = data.title
    try:
        update_request(sreq, api_user(), version=_version_from(if_match, sreq), submit=data.submit,
                       **fields)
    except StaleEdit as exc:
        raise _stale(exc, request_id) from None
    db.session.commit()
    return _detail_response(sreq)


@api_route(bp, "/requests/<int:request_id>/transitions", "POST",
           summary="Take a workflow action (submit, triage, hold, close...); If-Match is optional",
           scope="write", body=TransitionIn, response=RequestOut, tag="requests",
           errors=(401, 404, 409, 429), headers=IF_MATCH, response_headers=ETAG)
def transition_request(request_id):
    sreq = load_request(request_id, "transition")
    data = parse_body(TransitionIn)
    if_match = request.headers.get("If-Match")
    if if_match and _version_from(if_match, sreq) != sreq.version:
        raise ApiError(409, _("この依頼は、取得した後に他の人が更新しました。最新の状態を確認してください。"),
                       headers={"ETag": f'"{sreq.version}"'},
                       extra={"current_version": sreq.version})
    perform_action(sreq, data.action, api_user(), reason=data.reason, hold_until=data.hold_until)
    db.session.commit()
    return _detail_response(sreq)


@api_route(bp, "/requests/<int:request_id>/comments", "POST",
           summary="Reply (seen by the municipality) or an internal note (prefecture side only)",
           scope="write", body=CommentIn, response=CommentOut, status=201, tag="requests",
           errors=(401, 404, 429))
def comment_request(request_id):
    sreq = load_request(request_id)
    data = parse_body(CommentIn)
    if not permissions.can(api_user(), "internal_note" if data.internal else "reply", sreq):
        raise ApiError(403, _("内部メモは県側の担当者だけが書けます。") if data.internal
                       else _("この操作の権限がありません。"))
    comment = add_comment(sreq, api_user(), data.body, internal=data.internal)
    db.session.commit()
    return json_response(dump(CommentOut(id=comment.id, at=comment.created_at,
                                         author=comment.author.display_name, body=comment.body,
                                         internal=comment.internal)), 201)
