"""Training (研修): the catalogue, a course with its applications, approvals, waiting list,
completion and material, the completion exports and certificates, material search and the
figures. The 市町DX推進リーダー pages are in training_leaders.py (same blueprint)."""
import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms import choices
from ..forms.training import (ApplyForm, ButtonForm, CompletionForm, CourseForm, DecisionForm,
                              MaterialForm)
from ..models import Municipality, Region, TrainingApplication, TrainingCourse, TrainingMaterial
from ..services.training import applications as apps
from ..services.training import courses, exports, figures, materials
from ..timeutil import fiscal_year, utcnow
from ..workflows.training import (APPLICATION_STATUS_LABELS, AUDIENCES, COURSE_STATUS_LABELS,
                                  FORMATS, LEVELS, MATERIAL_KINDS, ApplicationStatus,
                                  CourseStatus)
from .decorators import load_or_404, permission_required
from .service_call import service_call

bp = Blueprint("training", __name__, url_prefix="/training")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LABELS = dict(levels=LEVELS, formats=FORMATS, audiences=AUDIENCES, kinds=MATERIAL_KINDS,
              course_states=COURSE_STATUS_LABELS, app_states=APPLICATION_STATUS_LABELS,
              CourseStatus=CourseStatus, ApplicationStatus=ApplicationStatus)


@bp.get("")
@permission_required("view", "training_course")
def index():
    return render_template("training/index.html", courses=courses.courses_for(current_user),
                           mine=apps.my_applications(current_user),
                           to_approve=apps.pending_approvals(current_user), **LABELS)


def _choices(form):
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    form.region_ids.choices = choices((r.id, r.name) for r in regions)
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    form.municipality_ids.choices = choices((m.id, m.name) for m in munis)


def _values(form):
    return dict(title=form.title.data, description=form.description.data, level=form.level.data,
                format=form.format.data, venue=form.venue.data, starts_on=form.starts_on.data,
                ends_on=form.ends_on.data, capacity=form.capacity.data,
                apply_by=form.apply_by.data, requires_approval=form.requires_approval.data,
                audience=form.audience.data, target_all=form.target_all.data,
                region_ids=form.region_ids.data or [],
                population_bands=form.population_bands.data or [],
                dx_staff_bands=form.dx_staff_bands.data or [],
                municipality_ids=form.municipality_ids.data or [],
                contact_roles=form.contact_roles.data or [])


@bp.route("/courses/new", methods=["GET", "POST"])
@permission_required("create", "training_course")
def new_course():
    form = CourseForm()
    _choices(form)
    if form.validate_on_submit():
        with service_call(form) as call:
            course = courses.create_course(current_user, **_values(form))
        if call.ok:
            flash(_("研修を作成しました。内容を確認して公開してください。"), "success")
            return redirect(url_for("training.course", course_id=course.id))
    return render_template("training/course_form.html", form=form, course=None,
                           targets_editable=True)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@permission_required("manage", "training_course")
def edit_course(course_id):
    course = load_or_404(TrainingCourse, course_id, "manage")
    form = CourseForm(obj=course)
    _choices(form)
    if not form.is_submitted():
        form.region_ids.data = course.target_region_ids or []
        form.population_bands.data = course.target_population_bands or []
        form.dx_staff_bands.data = course.target_dx_staff_bands or []
        form.municipality_ids.data = course.target_municipality_ids or []
        form.contact_roles.data = course.target_contact_roles or []
    if form.validate_on_submit():
        with service_call(form) as call:
            courses.update_course(course, current_user, **_values(form))
        if call.ok:
            flash(_("研修を保存しました。"), "success")
            return redirect(url_for("training.course", course_id=course.id))
    return render_template("training/course_form.html", form=form, course=course,
                           targets_editable=course.status == CourseStatus.DRAFT)


@bp.get("/courses/<int:course_id>")
@permission_required("view", "training_course")
def course(course_id):
    c = load_or_404(TrainingCourse, course_id)
    return _course_page(c, ApplyForm(), MaterialForm())


def _course_page(c, apply_form, material_form, status=200):
    rows = apps.applications_of(c, current_user)
    completion = CompletionForm()
    completion.application_ids.choices = choices(
        (a.id, f"{a.user.display_name}({a.municipality.name})") for a in rows
        if a.status == ApplicationStatus.CONFIRMED)
    return render_template(
        "training/course.html", course=c, applications=rows, apply_form=apply_form,
        material_form=material_form, completion=completion, button=ButtonForm(),
        decision=DecisionForm(), mine=apps.live_application(c, current_user),
        open_now=courses.is_open_for_applications(c), seats_taken=apps.seats_taken(c),
        waiting=apps.waiting_list(c), may_cancel=apps.may_cancel, may_decide=apps.may_decide,
        **LABELS), status


@bp.post("/courses/<int:course_id>/publish")
@permission_required("manage", "training_course")
def publish_course(course_id):
    c = load_or_404(TrainingCourse, course_id, "manage")
    if ButtonForm().validate_on_submit():
        with service_call() as call:
            courses.publish_course(c, current_user)
        if call.ok:
            flash(_("研修を公開しました。対象の市町の職員が申し込めます。"), "success")
    return redirect(url_for("training.course", course_id=c.id))


@bp.post("/courses/<int:course_id>/cancel")
@permission_required("manage", "training_course")
def cancel_course(course_id):
    c = load_or_404(TrainingCourse, course_id, "manage")
    if ButtonForm().validate_on_submit():
        with service_call() as call:
            courses.cancel_course(c, current_user)
        if call.ok:
            flash(_("研修を中止にしました。"), "success")
    return redirect(url_for("training.course", course_id=c.id))


@bp.post("/courses/<int:course_id>/apply")
@permission_required("apply", "training_course")
def apply(course_id):
    c = load_or_404(TrainingCourse, course_id, "apply")
    form = ApplyForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            a = apps.apply_to_course(c, current_user, note=form.note.data)
        if call.ok:
            flash(_("受講を申し込みました。情報部門の承認をお待ちください。")
                  if a.status == ApplicationStatus.PENDING else
                  _("受講を申し込みました。受講が決まりました。")
                  if a.status == ApplicationStatus.CONFIRMED else
                  _("受講を申し込みました。定員に達しているため、キャンセル待ちです。"), "success")
            return redirect(url_for("training.course", course_id=c.id))
    return _course_page(c, form, MaterialForm(), 422)


def _decide(application_id, fn, message):
    a = load_or_404(TrainingApplication, application_id, "approve")
    form = DecisionForm()
    if form.validate_on_submit():
        with service_call() as call:
            fn(a, current_user, note=form.note.data)
        if call.ok:
            flash(message(a), "success")
    if request.form.get("next") == "index":
        return redirect(url_for("training.index"))
    return redirect(url_for("training.course", course_id=a.course_id))


@bp.post("/applications/<int:application_id>/approve")
@permission_required("approve", "training_application")
def approve(application_id):
    return _decide(application_id, apps.approve_application, lambda a: (
        _("承認しました。受講が決まりました。") if a.status == ApplicationStatus.CONFIRMED
        else _("承認しました。定員に達しているため、キャンセル待ちになりました。")))


@bp.post("/applications/<int:application_id>/reject")
@permission_required("approve", "training_application")
def reject(application_id):
    return _decide(application_id, apps.reject_application,
                   lambda a: _("申込を承認しませんでした。"))


@bp.post("/applications/<int:application_id>/cancel")
@permission_required("view", "training_application")
def cancel_application(application_id):
    a = load_or_404(TrainingApplication, application_id)
    if ButtonForm().validate_on_submit():
        with service_call() as call:
            apps.cancel_application(a, current_user)
        if call.ok:
            flash(_("申込を取り消しました。"), "success")
    return redirect(url_for("training.course", course_id=a.course_id))


@bp.post("/courses/<int:course_id>/complete")
@permission_required("track", "training_course")
def complete(course_id):
    c = load_or_404(TrainingCourse, course_id, "track")
    form = CompletionForm()
    form.application_ids.choices = choices(
        (a.id, a.id) for a in apps.applications_of(c, current_user))
    if form.validate_on_submit():
        with service_call() as call:  # a refusal is flashed: the page is shown again below
            n = apps.complete_applications(c, current_user, form.application_ids.data or [])
        if call.ok:
            flash(_("%(n)d人の修了を記録しました。", n=n), "success")
    return redirect(url_for("training.course", course_id=c.id) + "#applications")


def _download(body, mimetype, filename):
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename={filename}"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/courses/<int:course_id>/completions.csv")
@permission_required("track", "training_course")
def completions_csv(course_id):
    c = load_or_404(TrainingCourse, course_id, "track")
    return _download(exports.completions_csv(c, current_user), "text/csv; charset=utf-8",
                     f"training-{c.id}-completions.csv")


@bp.get("/courses/<int:course_id>/completions.xlsx")
@permission_required("track", "training_course")
def completions_xlsx(course_id):
    c = load_or_404(TrainingCourse, course_id, "track")
    return _download(exports.completions_xlsx(c, current_user), XLSX,
                     f"training-{c.id}-completions.xlsx")


@bp.get("/applications/<int:application_id>/certificate.pdf")
@permission_required("view", "training_application")
def certificate(application_id):
    a = load_or_404(TrainingApplication, application_id)
    if a.status != ApplicationStatus.COMPLETED:
        abort(404)
    return _download(exports.certificate_pdf(a, current_user), "application/pdf",
                     f"certificate-{a.id}.pdf")


@bp.post("/courses/<int:course_id>/materials")
@permission_required("manage", "training_material")
def add_material(course_id):
    c = load_or_404(TrainingCourse, course_id, "manage")
    form = MaterialForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            materials.add_material(c, current_user, kind=form.kind.data, title=form.title.data,
                                   url=form.url.data, body=form.body.data)
        if call.ok:
            flash(_("資料を追加しました。"), "success")
            return redirect(url_for("training.course", course_id=c.id) + "#materials")
    return _course_page(c, ApplyForm(), form, 422)


@bp.post("/materials/<int:material_id>/delete")
@permission_required("manage", "training_material")
def delete_material(material_id):
    m = load_or_404(TrainingMaterial, material_id, "manage")
    course_id = m.course_id
    if ButtonForm().validate_on_submit():
        with service_call() as call:
            materials.delete_material(m, current_user)
        if call.ok:
            flash(_("資料を削除しました。"), "success")
    return redirect(url_for("training.course", course_id=course_id) + "#materials")


@bp.get("/materials")
@permission_required("view", "training_material")
def search():
    q = (request.args.get("q") or "")[:200]
    found = materials.search_materials(current_user, q) if q.strip() else []
    return render_template("training/materials.html", q=q, found=found, **LABELS)


@bp.get("/report")
@permission_required("view", "training_report")
def report():
    this_fy = fiscal_year(utcnow())
    fy = request.args.get("fy", type=int) or this_fy
    if not 2019 <= fy <= this_fy + 1:
        fy = this_fy
    totals = (figures.fiscal_totals() if permissions.can(current_user, "fiscal_totals",
                                                         "training_report") else None)
    return render_template(
        "training/report.html", fy=fy,
        years=list(range(this_fy + 1, 2023, -1)),
        by_municipality=figures.completions_by_municipality(fy),
        by_course=figures.completions_by_course(fy), totals=totals)


def municipality_training_section(m, user):
    """The municipality page's 研修・市町DX推進リーダー: its leaders (completed the programme)
    and its staff's course completions, for whoever may read its applications."""
    from ..services.training.leaders import leaders_of

    if not permissions.can(user, "view", permissions.InMunicipality("training_application", m.id)):
        return None
    return {"template": "training/_municipality_section.html", "leaders": leaders_of(m.id),
            "completions": figures.municipality_completions(m.id)}


from . import training_leaders  # noqa: E402,F401  (its routes are on this blueprint)
