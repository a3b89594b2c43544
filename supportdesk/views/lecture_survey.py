"""A lecture's satisfaction survey, the liaison's side: adding and removing the questions asked
after the 5-point rating (routes on the visits blueprint; the results are on the visit page)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.surveys import ButtonForm, LectureQuestionForm
from ..extensions import db
from ..models import SurveyQuestion, Visit
from ..models.survey import QUESTION_KINDS
from ..services.visits.lecture_survey import (add_lecture_question, delete_lecture_question,
                                              lecture_questions)
from .decorators import load_or_404
from .service_call import service_call
from .visits import bp


@bp.route("/<int:visit_id>/survey-questions", methods=["GET", "POST"])
@login_required
def lecture_questions_page(visit_id):
    visit = load_or_404(Visit, visit_id, "manage")
    if visit.kind != "lecture":
        abort(404)
    form = LectureQuestionForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            add_lecture_question(visit, current_user, kind=form.kind.data, label=form.label.data,
                                 help_text=form.help_text.data, required=form.required.data,
                                 options=(form.options.data or "").splitlines())
        if call.ok:
            flash(_("アンケートに質問を追加しました。"), "success")
            return redirect(url_for("visits.lecture_questions_page", visit_id=visit_id))
    status = 422 if form.errors else 200
    return render_template("visits/lecture_questions.html", v=visit, form=form,
                           questions=lecture_questions(visit), kinds=QUESTION_KINDS,
                           button=ButtonForm()), status


@bp.post("/<int:visit_id>/survey-questions/<int:question_id>/delete")
@login_required
def delete_lecture_question_view(visit_id, question_id):
    visit = load_or_404(Visit, visit_id, "manage")
    q = db.session.get(SurveyQuestion, question_id)
    if q is None or q.survey.visit_id != visit.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    with service_call() as call:
        delete_lecture_question(visit, q, current_user)
    if call.ok:
        flash(_("質問を削除しました。"), "success")
    return redirect(url_for("visits.lecture_questions_page", visit_id=visit_id))

