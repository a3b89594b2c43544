"""Standardisation pages (システム標準化・ガバメントクラウド): the 41 x 20 progress view and its
exports, the municipalities whose planned date has passed, the edit form of one system, and the
checklist sent as a survey."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..forms.status import ChecklistForm, SystemMigrationForm
from ..models.standardisation import MIGRATION_STATE_LABELS
from ..models.status import SOURCE_LABELS
from ..services.municipalities import standardisation as std
from ..services.municipalities.standardisation_checklist import create_checklist
from ..services.municipalities.status import today_of
from ..timeutil import utcnow
from .decorators import permission_required
from .service_call import service_call
from .status import XLSX, municipality_or_404, region_filter

bp = Blueprint("standardisation", __name__, url_prefix="/status/standardisation")


@bp.get("/")
@permission_required("overview", "status")
def index():
    regions, region_id = region_filter()
    grid = std.progress_grid(current_user, now=utcnow(), region_id=region_id)
    overdue = std.overdue_municipalities(current_user, now=utcnow())
    return render_template("status/standardisation.html", grid=grid, overdue=overdue,
                           regions=regions, region_id=region_id, labels=MIGRATION_STATE_LABELS,
                           is_overdue=std.is_overdue, system_name=std.system_name,
                           locale=str(get_locale()))


@bp.get("/export.<fmt>")
@permission_required("overview", "status")
def export(fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    _regions, region_id = region_filter()
    grid = std.progress_grid(current_user, now=utcnow(), region_id=region_id)
    locale = str(get_locale())
    name = f"standardisation-{today_of(utcnow()).isoformat()}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(std.grid_csv(grid, locale), content_type="text/csv; charset=utf-8",
                        headers=disposition)
    return Response(std.grid_xlsx(grid, locale), mimetype=XLSX, headers=disposition)


@bp.route("/checklist", methods=["GET", "POST"])
@permission_required("create", "survey")
def checklist():
    """Send the checklist (チェックシート) through the surveys: made in 作成中, opened by the
    builder after a look at its questions."""
    regions, _region_id = region_filter()
    form = ChecklistForm()
    form.region_ids.choices = [(r.id, r.name) for r in regions]
    if form.validate_on_submit():
        with service_call(form) as call:
            survey = create_checklist(current_user, deadline=form.deadline.data,
                                      region_ids=form.region_ids.data or [], now=utcnow())
        if call.ok:
            flash(_("チェックシートの調査を作成しました。内容を確認して開始してください。"), "success")
            return redirect(url_for("surveys.show", survey_id=survey.id))
    return render_template("status/checklist_form.html", form=form)


@bp.route("/<code>/<system>", methods=["GET", "POST"])
@permission_required("edit", "status")
def edit(code, system):
    m = municipality_or_404(code, "edit")
    if system not in {c for c, _ja, _en in std.standard_systems()}:
        abort(404)
    current = std.current_migrations([m.id]).get((m.id, system))
    form = SystemMigrationForm(obj=current)
    if not form.is_submitted():
        form.as_of.data = today_of(utcnow())
    if form.validate_on_submit():
        with service_call(form) as call:
            std.record_migration(m, system, actor=current_user, status=form.status.data,
                                 planned_on=form.planned_on.data,
                                 migrated_on=form.migrated_on.data,
                                 special_support=form.special_support.data,
                                 vendor=form.vendor.data,
                                 line_contracted=form.line_contracted.data,
                                 as_of=form.as_of.data, now=utcnow())
        if call.ok:
            flash(_("「%(system)s」の標準化の状況を記録しました。",
                    system=std.system_name(system, str(get_locale()))), "success")
            return redirect(url_for("municipalities.show", code=m.code) + "#standardisation-h")
    return render_template("status/migration_form.html", m=m, form=form,
                           system=std.system_name(system, str(get_locale())),
                           history=std.migration_history(m, system),
                           labels=MIGRATION_STATE_LABELS, source_labels=SOURCE_LABELS)
