"""Joint projects (この指とまれ方式): the list, proposing and editing, the project page (its map of
participants, costs, milestones, answers, notices), the municipality's answer, the liaison's
record of one, the report and the municipalities' service kinds."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms.notifications import choices
from ..forms.projects import (AnswerForm, ButtonForm, MilestoneForm, MilestoneStatusForm,
                              NoticeForm, ProjectForm, RecordAnswerForm)
from ..models import Municipality, Project, ProjectDocument, ProjectMilestone, Region
from ..models.project import (ANSWERS, COST_KINDS, ELIGIBILITY, MILESTONE_STATUSES,
                              SERVICE_KINDS)
from ..services.projects import answers as answering
from ..services.projects import building, costs, figures, notices, service_kinds
from ..services.projects.meetings import meeting_series_for
from ..services.projects.tiles import LEGEND, participant_tiles
from ..services.reports import charts
from ..services.requests.attachments import ALLOWED_LABEL, file_response, max_bytes
from ..timeutil import utcnow
from ..workflows.projects import (ACTION_LABELS, STATUS_LABELS, ProjectAction, ProjectStatus,
                                  allowed_project_actions)
from .decorators import load_or_404, permission_required
from .service_call import service_call

bp = Blueprint("projects", __name__, url_prefix="/projects")
ACTION_ENDPOINTS = {ProjectAction.OPEN: "projects.open_project",
                    ProjectAction.CLOSE: "projects.close_project"}


@bp.get("")
@permission_required("view", "project")
def index():
    return render_template("projects/index.html", projects=building.projects_for(current_user),
                           states=STATUS_LABELS)


def _choices(form):
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    form.region_ids.choices = choices((r.id, r.name) for r in regions)


def _settings(form):
    return {name: getattr(form, name).data for name in building.SETTINGS}


@bp.route("/new", methods=["GET", "POST"])
@permission_required("create", "project")
def new():
    form = ProjectForm()
    _choices(form)
    if not form.is_submitted():
        form.fiscal_year.data = building.default_fiscal_year()
    if form.validate_on_submit():
        with service_call(form) as call:
            project = building.create_project(current_user, **_settings(form))
        if call.ok:
            flash(_("共同事業を作成しました。マイルストーンを追加して公開してください。"), "success")
            return redirect(url_for("projects.show", project_id=project.id))
    return render_template("projects/form.html", form=form, project=None)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@permission_required("manage", "project")
def edit(project_id):
    project = load_or_404(Project, project_id, "manage")
    form = ProjectForm(obj=project)
    _choices(form)
    if not form.is_submitted():
        form.region_ids.data = project.eligible_region_ids or []
        form.service_kinds.data = project.eligible_service_kinds or []
    if form.validate_on_submit():
        with service_call(form) as call:
            building.update_project(project, current_user, **_settings(form))
        if call.ok:
            flash(_("共同事業の設定を保存しました。"), "success")
            return redirect(url_for("projects.show", project_id=project.id))
    return render_template("projects/form.html", form=form, project=project)


def _record_form(project, form=None):
    form = form or RecordAnswerForm(prefix="rec")
    form.municipality_id.choices = choices(
        (e.municipality_id, e.municipality.name)
        for e in sorted(project.eligibles, key=lambda e: e.municipality.code))
    return form


def _page(project, *, answer_form=None, record_form=None, milestone_form=None,
          notice_form=None, status=200):
    user, now = current_user, utcnow()
    tracks = permissions.can(user, "track", project)
    manages = permissions.can(user, "manage", project)
    visible = answering.answers_of(project, user)
    mine = visible.get(user.municipality_id) if user.municipality_id else None
    joined = [a for a in visible.values() if a.answer == "join"]
    participants = sorted(joined, key=lambda a: a.municipality.code)
    may_answer = answering.may_answer(user, project, now)
    # The municipality's own block: its answer, the form until the deadline, then who to ask.
    answers_here = user.municipality_id is not None and permissions.can_in(
        user, "answer", "project_answer", user.municipality_id) \
        and answering.is_eligible(project, user.municipality_id)
    if answer_form is None and may_answer:
        answer_form = AnswerForm(obj=mine) if mine is not None else AnswerForm()
    records = tracks and permissions.can(user, "record", "project_answer") \
        and project.status != ProjectStatus.DRAFT
    tiles = participant_tiles(project, visible) if tracks else None
    map_svg = charts.tile_map("project-map", _("参加の状況(41市町)"),
                              [dict(t, note=_(t["note"])) for t in tiles],
                              [(s, _(w)) for s, w in LEGEND]) if tiles else None
    return render_template(
        "projects/show.html", project=project, states=STATUS_LABELS, answers_labels=ANSWERS,
        cost_kinds=COST_KINDS, eligibility_labels=ELIGIBILITY,
        milestone_labels=MILESTONE_STATUSES, eligible_names=building.eligible_names(project),
        tracks=tracks, manages=manages, button=ButtonForm(), map_svg=map_svg,
        may_edit=manages and project.status != ProjectStatus.CLOSED,
        answers=sorted(visible.values(), key=lambda a: a.municipality.code), mine=mine,
        history=answering.revisions_of(mine) if mine is not None else [],
        participants=participants, share_for=lambda a: costs.share_for(project, a),
        summary=costs.cost_summary(project, participants),
        participant_count=len(answering.participant_ids(project)),
        rate=costs.rate_label(project), example_share=costs.share_for(project, mine),
        in_time=answering.in_time(project, now), may_answer=may_answer, answer_form=answer_form,
        answers_here=answers_here,
        record_form=(record_form or _record_form(project)) if records else None,
        milestone_form=milestone_form or (MilestoneForm(prefix="ms") if manages else None),
        status_form=MilestoneStatusForm(prefix="mst"),
        notice_form=notice_form or (NoticeForm(prefix="nt")
                                    if permissions.can(user, "post", project) else None),
        notices=notices.notices_for(project, user), meetings=meeting_series_for(project, user),
        allowed_types=ALLOWED_LABEL, max_mb=round(max_bytes() / 1024 / 1024, 1),
        action_labels=ACTION_LABELS,
        actions=[(a, ACTION_ENDPOINTS[a]) for a in allowed_project_actions(project.status,
                                                                           user.role)]
        if manages else []), status


@bp.get("/<int:project_id>")
@permission_required("view", "project")
def show(project_id):
    return _page(load_or_404(Project, project_id))


@bp.post("/<int:project_id>/answer")
@permission_required("view", "project")
def answer(project_id):
    project = load_or_404(Project, project_id)
    form = AnswerForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            answering.answer_project(project, current_user, answer=form.answer.data,
                                     contact=form.contact.data, note=form.note.data,
                                     population=form.population.data)
        if call.ok:
            flash(_("回答を保存しました。"), "success")
            return redirect(url_for("projects.show", project_id=project.id) + "#my-answer")
    return _page(project, answer_form=form, status=422)


@bp.post("/<int:project_id>/record")
@permission_required("record", "project_answer")
def record(project_id):
    project = load_or_404(Project, project_id, "track")
    form = _record_form(project, RecordAnswerForm(prefix="rec"))
    if form.validate_on_submit():
        municipality = db.session.get(Municipality, form.municipality_id.data) or abort(404)
        with service_call(form) as call:
            answering.record_answer(project, current_user, municipality, answer=form.answer.data,
                                    contact=form.contact.data, note=form.note.data,
                                    population=form.population.data,
                                    agreed_yen=form.agreed_yen.data)
        if call.ok:
            flash(_("%(name)sの回答を記録しました。", name=municipality.name), "success")
            return redirect(url_for("projects.show", project_id=project.id) + "#answers")
    return _page(project, record_form=form, status=422)


@bp.post("/<int:project_id>/open")
@permission_required("manage", "project")
def open_project(project_id):
    return _transition(project_id, building.open_project,
                       _("事業を公開し、対象の市町に参加を呼びかけました。"))


@bp.post("/<int:project_id>/close")
@permission_required("manage", "project")
def close_project(project_id):
    return _transition(project_id, building.close_project, _("事業を終了しました。"))


def _transition(project_id, fn, message):
    project = load_or_404(Project, project_id, "manage")
    if ButtonForm().validate_on_submit():
        with service_call() as call:
            fn(project, current_user)
        if call.ok:
            flash(message, "success")
    return redirect(url_for("projects.show", project_id=project.id))


@bp.post("/<int:project_id>/milestones")
@permission_required("manage", "project")
def add_milestone(project_id):
    project = load_or_404(Project, project_id, "manage")
    form = MilestoneForm(prefix="ms")
    if form.validate_on_submit():
        with service_call(form) as call:
            building.add_milestone(project, current_user, title=form.title.data,
                                   due_on=form.due_on.data, status=form.status.data,
                                   note=form.note.data)
        if call.ok:
            flash(_("マイルストーンを追加しました。"), "success")
            return redirect(url_for("projects.show", project_id=project.id) + "#milestones")
    return _page(project, milestone_form=form, status=422)


@bp.post("/<int:project_id>/milestones/<int:milestone_id>")
@permission_required("manage", "project")
def update_milestone(project_id, milestone_id):
    project = load_or_404(Project, project_id, "manage")
    ms = db.session.get(ProjectMilestone, milestone_id)
    if ms is None or ms.project_id != project.id:
        abort(404)
    form = MilestoneStatusForm(prefix="mst")
    if form.validate_on_submit():
        with service_call(form) as call:
            building.update_milestone(ms, current_user, status=form.status.data,
                                      note=form.note.data)
        if call.ok:
            flash(_("マイルストーンの状況を更新しました。"), "success")
    return redirect(url_for("projects.show", project_id=project.id) + "#milestones")


@bp.post("/<int:project_id>/notices")
@permission_required("post", "project")
def post_notice(project_id):
    project = load_or_404(Project, project_id, "post")
    form = NoticeForm(prefix="nt")
    if form.validate_on_submit():
        with service_call(form) as call:
            notices.post_notice(project, current_user, title=form.title.data,
                                body=form.body.data,
                                uploads=[f for f in (form.attachments.data or [])
                                         if getattr(f, "filename", "")])
        if call.ok:
            flash(_("参加市町にお知らせを送りました。"), "success")
            return redirect(url_for("projects.show", project_id=project.id) + "#notices")
    return _page(project, notice_form=form, status=422)


@bp.get("/<int:project_id>/documents/<int:document_id>/download")
@permission_required("view", "project")
def document(project_id, document_id):
    doc = db.session.get(ProjectDocument, document_id)
    # Whoever may not read the notice gets 404, whatever their role: existence never leaks.
    if doc is None or doc.notice.project_id != project_id:
        abort(404)
    permissions.require(current_user, "view", doc)
    return file_response(doc)


@bp.get("/report")
@permission_required("report", "project")
def report():
    years = figures.project_years()
    fy = request.args.get("fy", type=int) or (years[0] if years else
                                              building.default_fiscal_year())
    return render_template("projects/report.html", fy=fy, years=sorted(set(years) | {fy},
                                                                       reverse=True),
                           regions=figures.region_rows(fy), projects=figures.project_rows(fy),
                           states=STATUS_LABELS)


@bp.route("/service-kinds", methods=["GET", "POST"])
@permission_required("view", "service_kind")
def service_kind_matrix():
    rows = service_kinds.service_kind_rows()
    form = ButtonForm()
    manages = permissions.can(current_user, "manage", "service_kind")
    if manages and form.validate_on_submit():
        wanted = {m.id: set(request.form.getlist(f"kinds-{m.id}")) for m, _kinds in rows}
        with service_call() as call:
            n = service_kinds.set_service_kinds(current_user, wanted)
        if call.ok:
            flash(_("事業の種類を保存しました(%(n)d市町)。", n=n), "success")
            return redirect(url_for("projects.service_kind_matrix"))
    return render_template("projects/service_kinds.html", rows=rows, kinds=SERVICE_KINDS,
                           form=form, manages=manages)


def municipality_projects_section(m, user):
    """The dossier's 共同事業: the projects open to the municipality, with its answer."""
    if permissions.scope_of(user, "view", "project") is None:
        return None
    return {"template": "projects/_municipality_section.html", "order": 0,
            "rows": figures.municipality_projects(m, user), "answers_labels": ANSWERS,
            "states": STATUS_LABELS}
