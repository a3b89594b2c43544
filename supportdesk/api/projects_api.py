"""Joint projects (この指とまれ) over the API, with the pages' scoping: municipal staff see the
projects open to them and only their own answer, which they give or change here until the join
deadline; the prefecture side sees every project and answer."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Municipality, Project, ProjectAnswer
from ..services.projects import answers as answering
from ..services.projects import costs
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response, load_visible, parse_body, \
    parse_query
from .pages import keyset_page
from .schemas.projects import (AnswerRevisionOut, CostsOut, MilestoneOut, ProjectAnswerIn,
                               ProjectAnswerOut, ProjectAnswerPage, ProjectListQuery, ProjectOut,
                               ProjectPage, ProjectSummary)


def _summary(p):
    return dict(id=p.id, title=p.title, status=p.status, fiscal_year=p.fiscal_year,
                join_deadline=p.join_deadline)


def _refuse_unless_viewer(user):
    if not permissions.can(user, "view", "project"):
        raise ApiError(403, _("この操作を行う権限がありません。"))


def _answer_out(project, a):
    return ProjectAnswerOut(
        municipality_code=a.municipality.code, municipality=a.municipality.name, answer=a.answer,
        contact=a.contact, note=a.note, population=a.population, agreed_yen=a.agreed_yen,
        share_net_yen=costs.share_for(project, a).net if a.answer == "join" else None,
        revision=a.revision, updated_at=a.updated_at,
        history=[AnswerRevisionOut(revision=r.revision, answer=r.answer, at=r.at,
                                   via_liaison=r.via_liaison, after_deadline=r.after_deadline)
                 for r in a.revisions])


@api_route(bp, "/projects", "GET", summary="Joint projects the caller may see, newest first",
           query=ProjectListQuery, response=ProjectPage, tag="projects", errors=(401, 403, 429))
def list_projects():
    args = parse_query(ProjectListQuery)
    user = api_user()
    _refuse_unless_viewer(user)
    stmt = permissions.scope_projects(sa.select(Project), user)
    rows, next_cursor = keyset_page(stmt, Project.id, args)
    return json_response(dump(ProjectPage(items=[ProjectSummary(**_summary(p)) for p in rows],
                                          next_cursor=next_cursor)))


@api_route(bp, "/projects/<int:project_id>", "GET",
           summary="One joint project: who may join, cost shares, funding, milestones",
           response=ProjectOut, tag="projects", errors=(401, 403, 404, 429))
def get_project(project_id):
    user = api_user()
    _refuse_unless_viewer(user)
    p = load_visible(Project, project_id)
    tracks = permissions.can(user, "track", p)
    codes = sorted(e.municipality.code for e in p.eligibles)
    if not tracks:
        codes = [c for c in codes if user.municipality and c == user.municipality.code]
    joined = [a for a in answering.answers_of(p, user).values() if a.answer == "join"]
    s = costs.cost_summary(p, joined)
    cost = CostsOut(participants=len(answering.participant_ids(p)),
                    gross_yen=s.gross if tracks else None,
                    subsidy_yen=s.subsidy if tracks else None, net_yen=s.net if tracks else None,
                    per_participant_net_yen=s.per_participant if tracks else None)
    return json_response(dump(ProjectOut(
        **_summary(p), purpose=p.purpose, eligibility=p.eligibility,
        eligible_region_ids=p.eligible_region_ids, eligible_service_kinds=p.eligible_service_kinds,
        cost_kind=p.cost_kind, cost_fixed_yen=p.cost_fixed_yen, cost_base_yen=p.cost_base_yen,
        cost_per_capita_yen=p.cost_per_capita_yen, funding_name=p.funding_name,
        subsidy_rate=costs.rate_label(p), contract_note=p.contract_note, municipality_codes=codes,
        milestones=[MilestoneOut(title=m.title, due_on=m.due_on, status=m.status, note=m.note)
                    for m in p.milestones], costs=cost)))


@api_route(bp, "/projects/<int:project_id>/answers", "GET",
           summary="The answers the caller may read (a municipal caller: its own only)",
           query=ProjectListQuery, response=ProjectAnswerPage, tag="projects",
           errors=(401, 403, 404, 429))
def list_project_answers(project_id):
    args = parse_query(ProjectListQuery)
    user = api_user()
    _refuse_unless_viewer(user)
    p = load_visible(Project, project_id)
    stmt = permissions.scope_project_answers(sa.select(ProjectAnswer).join(Municipality).where(
        ProjectAnswer.project_id == p.id), user)
    rows, next_cursor = keyset_page(stmt, ProjectAnswer.id, args)
    return json_response(dump(ProjectAnswerPage(items=[_answer_out(p, a) for a in rows],
                                                next_cursor=next_cursor)))


@api_route(bp, "/projects/<int:project_id>/answer", "PUT",
           summary="Give or change the caller's municipality's answer (until the join deadline)",
           scope="write", body=ProjectAnswerIn, response=ProjectAnswerOut, tag="projects",
           errors=(401, 404, 409, 429))
def put_project_answer(project_id):
    user = api_user()
    p = load_visible(Project, project_id)
    data = parse_body(ProjectAnswerIn)
    if not permissions.can_in(user, "answer", "project_answer", user.municipality_id):
        raise ApiError(403, _("市町の職員だけが回答できます(県側は画面から記録してください)。"))
    row, _changed = answering.answer_project(p, user, answer=data.answer, contact=data.contact,
                                             note=data.note, population=data.population)
    db.session.commit()
    return json_response(dump(_answer_out(p, row)))
