"""The 市町DX推進リーダー programme's pages (on the training blueprint): the cohorts, a cohort
with its trainees, and a trainee with the learning plan and the progress log."""
import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import choices
from ..forms.training import ButtonForm, CohortForm, ProgressForm, TraineeForm
from ..models import LeaderCohort, LeaderTrainee, Municipality
from ..services.training import leaders
from ..timeutil import fiscal_year, utcnow
from ..workflows.training import TERMS, TRAINEE_STATUS_LABELS, TraineeStatus
from .decorators import load_or_404, permission_required
from .service_call import service_call
from .training import bp

LABELS = dict(terms=TERMS, trainee_states=TRAINEE_STATUS_LABELS, TraineeStatus=TraineeStatus)


@bp.get("/leaders")
@permission_required("view", "leader_cohort")
def leaders_index():
    form = CohortForm(fiscal_year=fiscal_year(utcnow()))
    return render_template("training/leaders.html", cohorts=leaders.cohorts(), form=form)


@bp.post("/leaders/cohorts")
@permission_required("manage", "leader_cohort")
def new_cohort():
    form = CohortForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            cohort = leaders.create_cohort(current_user, name=form.name.data,
                                           fiscal_year=form.fiscal_year.data,
                                           note=form.note.data)
        if call.ok:
            flash(_("期を作成しました。研修生を登録してください。"), "success")
            return redirect(url_for("training.cohort", cohort_id=cohort.id))
    return render_template("training/leaders.html", cohorts=leaders.cohorts(), form=form), 422


def _trainee_form(form):
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    form.municipality_id.choices = choices((m.id, m.name) for m in munis)
    form.mentor_id.choices = choices([(0, _("(未定)"))] + [
        (u.id, u.display_name) for u in leaders.mentor_choices()])
    return form


@bp.get("/leaders/cohorts/<int:cohort_id>")
@permission_required("view", "leader_cohort")
def cohort(cohort_id):
    c = load_or_404(LeaderCohort, cohort_id)
    return render_template("training/cohort.html", cohort=c, form=_trainee_form(TraineeForm()),
                           **LABELS)


@bp.post("/leaders/cohorts/<int:cohort_id>/trainees")
@permission_required("manage", "leader_cohort")
def add_trainee(cohort_id):
    c = load_or_404(LeaderCohort, cohort_id, "manage")
    form = _trainee_form(TraineeForm())
    if form.validate_on_submit():
        with service_call(form) as call:
            t = leaders.add_trainee(
                c, current_user, municipality_id=form.municipality_id.data, name=form.name.data,
                department=form.department.data, email=form.email.data, term=form.term.data,
                starts_on=form.starts_on.data, host_department=form.host_department.data,
                mentor_id=form.mentor_id.data or None, learning_plan=form.learning_plan.data)
        if call.ok:
            flash(_("研修生を登録しました。"), "success")
            return redirect(url_for("training.trainee", trainee_id=t.id))
    return render_template("training/cohort.html", cohort=c, form=form, **LABELS), 422


@bp.get("/trainees/<int:trainee_id>")
@permission_required("view", "leader_trainee")
def trainee(trainee_id):
    t = load_or_404(LeaderTrainee, trainee_id)
    return render_template("training/trainee.html", t=t, form=ProgressForm(), button=ButtonForm(),
                           **LABELS)


@bp.post("/trainees/<int:trainee_id>/progress")
@permission_required("manage", "leader_trainee")
def log_progress(trainee_id):
    t = load_or_404(LeaderTrainee, trainee_id, "manage")
    form = ProgressForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            leaders.log_progress(t, current_user, note=form.note.data,
                                 noted_on=form.noted_on.data)
        if call.ok:
            flash(_("進捗を記録しました。"), "success")
            return redirect(url_for("training.trainee", trainee_id=t.id) + "#progress")
    return render_template("training/trainee.html", t=t, form=form, button=ButtonForm(),
                           **LABELS), 422


@bp.post("/trainees/<int:trainee_id>/complete")
@permission_required("manage", "leader_trainee")
def complete_trainee(trainee_id):
    t = load_or_404(LeaderTrainee, trainee_id, "manage")
    if ButtonForm().validate_on_submit():
        with service_call() as call:
            leaders.complete_trainee(t, current_user)
        if call.ok:
            flash(_("修了にしました。%(m)sの連絡先に市町DX推進リーダーとして登録しました。",
                    m=t.municipality.name), "success")
    return redirect(url_for("training.trainee", trainee_id=t.id))


@bp.post("/trainees/<int:trainee_id>/withdraw")
@permission_required("manage", "leader_trainee")
def withdraw_trainee(trainee_id):
    t = load_or_404(LeaderTrainee, trainee_id, "manage")
    if ButtonForm().validate_on_submit():
        with service_call() as call:
            leaders.withdraw_trainee(t, current_user)
        if call.ok:
            flash(_("研修を中断にしました。"), "success")
    return redirect(url_for("training.trainee", trainee_id=t.id))
