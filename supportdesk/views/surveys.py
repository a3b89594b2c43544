"""Surveys (調査・照会), the prefecture's side: the list, the builder, the survey page with each
municipality's status, and the results (summary, CSV, XLSX)."""
import sqlalchemy as sa
from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..workflows.contacts import ROLE_LABELS as CONTACT_ROLES
from ..forms.notifications import choices
from ..forms.surveys import ButtonForm, QuestionForm, SurveyForm
from ..models import Municipality, Region, SurveyQuestion
from ..models.survey import QUESTION_KINDS
from ..services.surveys import building
from ..services.surveys.results import (answers_csv, answers_xlsx, question_summary,
                                        status_counts, status_rows)
from ..timeutil import utcnow
from ..workflows.surveys import (ACTION_LABELS, ANSWER_STATUS_LABELS, STATUS_LABELS,
                                 SurveyAction, SurveyStatus, allowed_survey_actions)
from .decorators import inquiry_or_404, permission_required
from .service_call import service_call

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
ACTION_ENDPOINTS = {SurveyAction.OPEN: "surveys.open_survey",
                    SurveyAction.CLOSE: "surveys.close_survey"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("")
@permission_required("view", "survey")
def index():
    return render_template("surveys/index.html", surveys=building.surveys_for(current_user),
                           states=STATUS_LABELS)


def _choices(form):
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    form.region_ids.choices = choices((r.id, r.name) for r in regions)
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    form.municipality_ids.choices = choices((m.id, m.name) for m in munis)
    form.recipient_role.choices = choices(
        [("", _("各市町の情報部門"))] + [(r.value, _(label)) for r, label in CONTACT_ROLES.items()])


def _settings(form):
    return dict(title=form.title.data, purpose=form.purpose.data, deadline=form.deadline.data,
                reminder_days=form.reminder_days.data, target_all=form.target_all.data,
                region_ids=form.region_ids.data or [],
                population_bands=form.population_bands.data or [],
                dx_staff_bands=form.dx_staff_bands.data or [],
                municipality_ids=form.municipality_ids.data or [],
                recipient_role=form.recipient_role.data or None)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("create", "survey")
def new():
    form = SurveyForm()
    _choices(form)
    if form.validate_on_submit():
        with service_call(form) as call:
            survey = building.create_survey(current_user, **_settings(form))
        if call.ok:
            flash(_("調査を作成しました。質問を追加してください。"), "success")
            return redirect(url_for("surveys.show", survey_id=survey.id))
    return render_template("surveys/form.html", form=form, survey=None, targets_editable=True)


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@permission_required("manage", "survey")
def edit(survey_id):
    survey = inquiry_or_404(survey_id, "manage")
    form = SurveyForm(obj=survey)
    _choices(form)
    if not form.is_submitted():
        form.region_ids.data = survey.target_region_ids or []
        form.population_bands.data = survey.target_population_bands or []
        form.dx_staff_bands.data = survey.target_dx_staff_bands or []
        form.municipality_ids.data = survey.target_municipality_ids or []
    if form.validate_on_submit():
        with service_call(form) as call:
            building.update_survey(survey, current_user, **_settings(form))
        if call.ok:
            flash(_("調査の設定を保存しました。"), "success")
            return redirect(url_for("surveys.show", survey_id=survey.id))
    return render_template("surveys/form.html", form=form, survey=survey,
                           targets_editable=survey.status == SurveyStatus.DRAFT)


@bp.get("/<int:survey_id>")
@permission_required("view", "survey")
def show(survey_id):
    survey = inquiry_or_404(survey_id)
    if not permissions.can(current_user, "track", survey):
        from .survey_answers import answer_page

        return answer_page(survey)
    return _builder(survey, QuestionForm())


def _builder(survey, qform):
    is_draft = survey.status == SurveyStatus.DRAFT
    manages = permissions.can(current_user, "manage", survey)
    rows = [] if is_draft else status_rows(survey, utcnow())
    return render_template(
        "surveys/show.html", survey=survey, qform=qform, button=ButtonForm(), rows=rows,
        counts=status_counts(rows), answer_labels=ANSWER_STATUS_LABELS, states=STATUS_LABELS,
        kinds=QUESTION_KINDS, action_labels=ACTION_LABELS,
        actions=[(a, ACTION_ENDPOINTS[a], "primary" if a == SurveyAction.OPEN else "")
                 for a in allowed_survey_actions(survey.status, current_user.role)]
        if manages else [],
        is_draft=is_draft, may_edit=manages and is_draft,
        may_change_settings=manages and survey.status != SurveyStatus.CLOSED)


def _question_args(form):
    return dict(kind=form.kind.data, label=form.label.data, help_text=form.help_text.data,
                required=form.required.data, options=(form.options.data or "").splitlines(),
                status_item_key=form.status_item_key.data)


@bp.post("/<int:survey_id>/questions")
@permission_required("manage", "survey")
def add_question(survey_id):
    survey = inquiry_or_404(survey_id, "manage")
    form = QuestionForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            building.add_question(survey, current_user, **_question_args(form))
        if call.ok:
            flash(_("質問を追加しました。"), "success")
            return redirect(url_for("surveys.show", survey_id=survey.id) + "#questions")
    return _builder(survey, form), 422


def _question(survey_id, question_id):
    survey = inquiry_or_404(survey_id, "manage")
    q = db.session.get(SurveyQuestion, question_id)
    if q is None or q.survey_id != survey.id:
        abort(404)
    return survey, q


@bp.route("/<int:survey_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@permission_required("manage", "survey")
def edit_question(survey_id, question_id):
    survey, q = _question(survey_id, question_id)
    form = QuestionForm(obj=q)
    if not form.is_submitted():
        form.options.data = "\n".join(q.options or [])
    if form.validate_on_submit():
        with service_call(form) as call:
            building.update_question(q, current_user, **_question_args(form))
        if call.ok:
            flash(_("質問を保存しました。"), "success")
            return redirect(url_for("surveys.show", survey_id=survey.id) + "#questions")
    return render_template("surveys/question_form.html", form=form, survey=survey, q=q)


@bp.post("/<int:survey_id>/questions/<int:question_id>/move")
@permission_required("manage", "survey")
def move_question(survey_id, question_id):
    survey, q = _question(survey_id, question_id)
    direction = request.form.get("direction")
    if direction in ("up", "down") and ButtonForm().validate_on_submit():
        with service_call():
            building.move_question(q, current_user, direction)
    return redirect(url_for("surveys.show", survey_id=survey.id) + "#questions")


@bp.post("/<int:survey_id>/questions/<int:question_id>/delete")
@permission_required("manage", "survey")
def delete_question(survey_id, question_id):
    survey, q = _question(survey_id, question_id)
    if ButtonForm().validate_on_submit():
        with service_call() as call:
            building.delete_question(q, current_user)
        if call.ok:
            flash(_("質問を削除しました。"), "success")
    return redirect(url_for("surveys.show", survey_id=survey.id) + "#questions")


@bp.post("/<int:survey_id>/open")
@permission_required("manage", "survey")
def open_survey(survey_id):
    return _transition(survey_id, "open")


@bp.post("/<int:survey_id>/close")
@permission_required("manage", "survey")
def close_survey(survey_id):
    return _transition(survey_id, "close")


def _transition(survey_id, action):
    survey = inquiry_or_404(survey_id, "manage")
    if ButtonForm().validate_on_submit():
        fn = building.open_survey if action == "open" else building.close_survey
        with service_call() as call:
            fn(survey, current_user)
        if call.ok:
            flash(_("調査を開始し、対象の市町に通知しました。") if action == "open"
                  else _("調査を締め切りました。"), "success")
    return redirect(url_for("surveys.show", survey_id=survey.id))


@bp.get("/<int:survey_id>/results")
@permission_required("track", "survey")
def results(survey_id):
    survey = inquiry_or_404(survey_id, "track")
    return render_template("surveys/results.html", survey=survey, kinds=QUESTION_KINDS,
                           summary=question_summary(survey, current_user))


@bp.get("/<int:survey_id>/results.csv")
@permission_required("track", "survey")
def export_csv(survey_id):
    return _export(survey_id, "csv")


@bp.get("/<int:survey_id>/results.xlsx")
@permission_required("track", "survey")
def export_xlsx(survey_id):
    return _export(survey_id, "xlsx")


def _export(survey_id, fmt):
    survey = inquiry_or_404(survey_id, "track")
    if fmt == "csv":
        body, mimetype = answers_csv(survey, current_user), "text/csv; charset=utf-8"
    else:
        body, mimetype = answers_xlsx(survey, current_user), XLSX
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename=survey-{survey.id}.{fmt}"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
