"""The case library (事例) over the API: search and read for everyone who may see it, add for
liaisons and admins, through the library's service."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Case, SupportRequest, Theme
from ..services.cases import case_search, save_case
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response, parse_body, parse_query
from .pages import keyset_page
from .schemas.library import CaseCreate, CaseListQuery, CaseOut, CasePage


def case_out(case, user):
    # The source request is named only to those who may see it (existence never leaks).
    source = case.from_request_id
    if source is not None:
        sreq = db.session.get(SupportRequest, source)
        source = source if sreq is not None and permissions.can(user, "view", sreq) else None
    return CaseOut(id=case.id, title=case.title, organisation=case.organisation,
                   theme=case.theme.code if case.theme else None, summary=case.summary,
                   source=case.source, url=case.url, from_request_id=source,
                   created_at=case.created_at)


def _refuse_unless(user, action):
    if not permissions.can(user, action, "case"):
        raise ApiError(403, _("この操作を行う権限がありません。"))


def _unprocessable(field, message):
    db.session.rollback()
    raise ApiError(422, _("入力内容に誤りがあります。"), errors=[{"field": field, "message": message}])


@api_route(bp, "/cases", "GET", summary="The case library (事例), newest first; words and theme",
           query=CaseListQuery, response=CasePage, tag="cases", errors=(401, 403, 429))
def list_cases():
    args = parse_query(CaseListQuery)
    user = api_user()
    _refuse_unless(user, "view")
    rows, next_cursor = keyset_page(case_search(args.q, args.theme), Case.id, args)
    return json_response(dump(CasePage(items=[case_out(c, user) for c in rows],
                                       next_cursor=next_cursor)))


@api_route(bp, "/cases/<int:case_id>", "GET", summary="One case", response=CaseOut, tag="cases",
           errors=(401, 403, 404, 429))
def get_case(case_id):
    user = api_user()
    _refuse_unless(user, "view")
    case = db.session.get(Case, case_id)
    if case is None:
        raise ApiError(404, _("見つかりません。"))
    return json_response(dump(case_out(case, user)))


@api_route(bp, "/cases", "POST", summary="Add a case to the library (liaisons and admins)",
           scope="write", body=CaseCreate, response=CaseOut, status=201, tag="cases",
           errors=(401, 403, 429))
def create_case():
    body = parse_body(CaseCreate)
    user = api_user()
    _refuse_unless(user, "manage")
    theme_id = None
    if body.theme is not None:
        theme_id = db.session.scalar(sa.select(Theme.id).where(Theme.code == body.theme,
                                                               Theme.active.is_(True)))
        if theme_id is None:
            _unprocessable("theme", _("存在しないテーマです: %(codes)s", codes=body.theme))
    if body.from_request_id is not None:
        sreq = db.session.get(SupportRequest, body.from_request_id)
        if sreq is None or not permissions.can(user, "view", sreq):
            _unprocessable("from_request_id", _("指定された依頼が見つかりません。"))
    case = save_case(user, title=body.title, organisation=body.organisation, summary=body.summary,
                     theme_id=theme_id, source=body.source, url=body.url,
                     from_request_id=body.from_request_id)
    db.session.commit()
    return json_response(dump(case_out(case, user)), status=201,
                         headers={"Location": f"/api/v1/cases/{case.id}"})
