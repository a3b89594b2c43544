"""Surveys (調査・照会) over the API, read-only, with the pages' scoping: municipal staff see the
surveys sent to them and only their own answer; liaisons every survey and the answers of their
regions; managers all."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..models import Municipality, Survey, SurveyResponse
from ..services.surveys.results import submitted_answers
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response, load_visible, parse_query
from .pages import keyset_page
from .schemas.surveys import (AnswerOut, AnswerPage, QuestionOut, SurveyListQuery, SurveyOut,
                              SurveyPage, SurveySummary)


def _summary(s):
    return dict(id=s.id, title=s.title, status=s.status, deadline=s.deadline,
                opened_at=s.opened_at)


def _refuse_unless_viewer(user):
    if not permissions.can(user, "view", "survey"):
        raise ApiError(403, _("この操作を行う権限がありません。"))


@api_route(bp, "/surveys", "GET", summary="Surveys (調査・照会) the caller may see, newest first",
           query=SurveyListQuery, response=SurveyPage, tag="surveys", errors=(401, 403, 429))
def list_surveys():
    args = parse_query(SurveyListQuery)
    user = api_user()
    _refuse_unless_viewer(user)
    stmt = permissions.scope_surveys(sa.select(Survey), user)
    rows, next_cursor = keyset_page(stmt, Survey.id, args)
    return json_response(dump(SurveyPage(items=[SurveySummary(**_summary(s)) for s in rows],
                                         next_cursor=next_cursor)))


def _inquiry(survey_id):
    """An inquiry the caller may see; a lecture's satisfaction survey is not one (404)."""
    s = load_visible(Survey, survey_id)
    if s.kind != "inquiry":
        raise ApiError(404, _("見つかりません。"))
    return s


@api_route(bp, "/surveys/<int:survey_id>", "GET", summary="One survey with its questions",
           response=SurveyOut, tag="surveys", errors=(401, 403, 404, 429))
def get_survey(survey_id):
    user = api_user()
    _refuse_unless_viewer(user)
    s = _inquiry(survey_id)
    codes = sorted(t.municipality.code for t in s.targets)
    if not permissions.can(user, "track", s):
        codes = [c for c in codes if c == user.municipality.code]
    questions = [QuestionOut(id=q.id, position=i, kind=q.kind, label=q.label,
                             help_text=q.help_text, required=q.required, options=q.options,
                             status_item_key=q.status_item_key)
                 for i, q in enumerate(s.questions, start=1)]
    return json_response(dump(SurveyOut(**_summary(s), purpose=s.purpose, questions=questions,
                                        municipality_codes=codes)))


@api_route(bp, "/surveys/<int:survey_id>/answers", "GET",
           summary="The submitted answers the caller may read, one per municipality",
           query=SurveyListQuery, response=AnswerPage, tag="surveys",
           errors=(401, 403, 404, 429))
def list_survey_answers(survey_id):
    args = parse_query(SurveyListQuery)
    user = api_user()
    _refuse_unless_viewer(user)
    s = _inquiry(survey_id)
    stmt = permissions.scope_survey_responses(sa.select(SurveyResponse).join(Municipality).where(
        SurveyResponse.survey_id == s.id, SurveyResponse.version > 0), user)
    rows, next_cursor = keyset_page(stmt, SurveyResponse.id, args)
    items = [AnswerOut(municipality_code=r.municipality.code, municipality=r.municipality.name,
                       version=r.version, submitted_at=r.submitted_at,
                       late=r.versions[-1].late, answers=submitted_answers(r)) for r in rows]
    return json_response(dump(AnswerPage(items=items, next_cursor=next_cursor)))
