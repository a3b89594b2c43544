"""Support on a request over the API: the support actions given (支援の記録, recorded by
liaisons) and the ranked expert suggestions (liaisons who may assign), through the services."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Municipality
from ..services.requests.conversation import record_support_action, support_actions_of
from ..services.requests.experts import can_take_experts, reason_in_words, suggest_experts
from ..timeutil import JST
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response, parse_body
from .requests_api import load_request
from .schemas.library import ExpertSuggestionOut, SupportActionIn, SupportActionOut

MAX_ACTIONS = 500


def support_action_out(a):
    return SupportActionOut(
        id=a.id, request_id=a.request_id, kind=a.kind, target_department=a.target_department,
        target_municipality_code=a.target_municipality.code if a.target_municipality else None,
        case_id=a.case_id, vendor_name=a.vendor_name, note=a.note, actor=a.actor.display_name,
        at=a.at.astimezone(JST))


@api_route(bp, "/requests/<int:request_id>/support-actions", "GET",
           summary="Support given on a request (助言・橋渡し・事例紹介・事業者紹介), oldest first",
           response=list[SupportActionOut], tag="requests")
def list_support_actions(request_id):
    sreq = load_request(request_id)
    return json_response(dump([support_action_out(a)
                               for a in support_actions_of(sreq, limit=MAX_ACTIONS)]))


@api_route(bp, "/requests/<int:request_id>/support-actions", "POST",
           summary="Record support given on a request (liaisons)", scope="write",
           body=SupportActionIn, response=SupportActionOut, status=201, tag="requests",
           errors=(401, 403, 404, 429))
def create_support_action(request_id):
    sreq = load_request(request_id)
    body = parse_body(SupportActionIn)
    user = api_user()
    if not permissions.can(user, "record_support", sreq):
        raise ApiError(403, _("この操作の権限がありません。"))
    target_municipality_id = None
    if body.target_municipality_code:
        target_municipality_id = db.session.scalar(sa.select(Municipality.id).where(
            Municipality.code == body.target_municipality_code))
        if target_municipality_id is None:
            raise ApiError(422, _("入力内容に誤りがあります。"), errors=[{
                "field": "target_municipality_code",
                "message": _("存在しない市町コードです: %(codes)s",
                             codes=body.target_municipality_code)}])
    action = record_support_action(sreq, user, body.kind, target_department=body.target_department,
                                   target_municipality_id=target_municipality_id,
                                   case_id=body.case_id, vendor_name=body.vendor_name,
                                   note=body.note)
    db.session.commit()
    return json_response(dump(support_action_out(action)), status=201)


@api_route(bp, "/requests/<int:request_id>/expert-suggestions", "GET",
           summary="Experts ranked for a request by theme fit, region and load (liaisons)",
           response=list[ExpertSuggestionOut], tag="requests", errors=(401, 403, 404, 429))
def list_expert_suggestions(request_id):
    sreq = load_request(request_id, "assign")
    rows = suggest_experts(sreq) if can_take_experts(sreq) else []
    return json_response(dump([ExpertSuggestionOut(
        user_id=s.expert.id, display_name=s.expert.display_name, kind=s.profile.kind,
        theme_fit=s.theme_fit, matched_themes=s.matched_themes, same_region=s.same_region,
        open_load=s.open_load, reasons=[reason_in_words(r) for r in s.reasons]) for s in rows]))
