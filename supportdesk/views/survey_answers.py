"""Surveys (調査・照会), the municipality's side: the answer form (save a draft, submit, correct),
one municipality's answer with its versions and files, and the dossier's section."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..extensions import db
from ..forms.surveys import ButtonForm
from ..models import SurveyResponse
from ..services.requests.attachments import ALLOWED_LABEL, file_response
from ..services.surveys.answering import (AnswersInvalid, TABLE_ROWS, may_correct, response_file,
                                          response_of, save_response_draft, submit_response,
                                          today_in_tokyo)
from ..services.surveys.results import (display_value, municipality_survey_answers,
                                        submitted_answers)
from ..timeutil import utcnow
from ..workflows.surveys import ANSWER_STATUS_LABELS, SurveyStatus, answer_status
from .decorators import inquiry_or_404
from .service_call import service_call
from .surveys import bp


def _typed_from(survey, answers):
    """The answer form's values from stored answers: {field name: [strings]}."""
    values = {}
    for q in survey.questions:
        v = (answers or {}).get(str(q.id))
        if v is None:
            continue
        if q.kind == "table":
            for r, row in enumerate(v):
                for c, cell in enumerate(row):
                    values[f"{q.field_name}_r{r}_c{c}"] = [cell]
        elif q.kind == "multiple_choice":
            values[q.field_name] = list(v)
        elif q.kind != "file":
            values[q.field_name] = [str(v)]
    return values


def answer_page(survey, values=None, errors=None, status=200):
    """The municipality's answer form. After a refusal `values` is what was typed."""
    now = utcnow()
    response = response_of(survey, current_user.municipality_id)
    if values is None:
        values = _typed_from(survey, response.answers if response else {})
    submitted = response is not None and response.version > 0
    st = answer_status(has_draft=response is not None, submitted=submitted,
                       deadline=survey.deadline, today=today_in_tokyo(now))
    probe = response or SurveyResponse(survey=survey, municipality_id=current_user.municipality_id)
    return render_template(
        "surveys/answer.html", survey=survey, response=response, values=values,
        errors=errors or {}, button=ButtonForm(), status=st, status_labels=ANSWER_STATUS_LABELS,
        is_open=survey.status == SurveyStatus.OPEN, may_submit=permissions.may_submit_survey_response(
            current_user, probe), may_correct=may_correct(survey, now), submitted=submitted,
        table_rows=lambda q: max(3, len((response.answers if response else {}).get(
            str(q.id)) or []) + 2) if q.kind == "table" else 0,
        allowed_types=ALLOWED_LABEL, max_rows=TABLE_ROWS), status


@bp.post("/<int:survey_id>/answer")
@login_required
def answer(survey_id):
    survey = inquiry_or_404(survey_id)
    if not permissions.can(current_user, "draft", SurveyResponse(
            survey=survey, municipality_id=current_user.municipality_id)):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    values = request.form.to_dict(flat=False)
    uploads = {k: f for k, f in request.files.items() if f and f.filename}
    submitting = request.form.get("action") == "submit"
    fn = submit_response if submitting else save_response_draft
    errors = {}
    with service_call() as call:
        try:
            fn(survey, current_user, values=values, uploads=uploads)
        except AnswersInvalid as exc:
            errors = exc.errors
            raise
    if call.ok:
        flash(_("回答を提出しました。") if submitting else _("下書きを保存しました。"), "success")
        return redirect(url_for("surveys.show", survey_id=survey.id))
    return answer_page(survey, values=values, errors=errors, status=422)


def _response(survey_id, response_id):
    survey = inquiry_or_404(survey_id)
    r = db.session.get(SurveyResponse, response_id)
    if r is None or r.survey_id != survey.id:
        abort(404)
    permissions.require(current_user, "view", r)
    return survey, r


@bp.get("/<int:survey_id>/responses/<int:response_id>")
@login_required
def response(survey_id, response_id):
    survey, r = _response(survey_id, response_id)
    if r.version == 0 and not permissions.can(current_user, "draft", r):
        abort(404)  # a draft stays with its municipality
    return render_template("surveys/response.html", survey=survey, r=r,
                           answers=submitted_answers(r) if r.version else r.answers,
                           display_value=display_value)


@bp.get("/<int:survey_id>/responses/<int:response_id>/files/<int:file_id>")
@login_required
def response_file_download(survey_id, response_id, file_id):
    _survey, r = _response(survey_id, response_id)
    f = response_file(r, file_id)
    if f is None:
        abort(404)
    return file_response(f)


def municipality_surveys_section(m, user):
    """The dossier's 調査・照会への回答: the surveys the municipality answered (as the user may
    read them), newest first."""
    if permissions.scope_of(user, "view", "survey_response") is None:
        return None
    return {"template": "surveys/_municipality_section.html",
            "answers": municipality_survey_answers(m.id, user), "display_value": display_value}
