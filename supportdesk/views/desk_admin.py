"""Admin pages for what the prefecture pack set up: the desk's profile, the regions and which
region each municipality belongs to. The rules are in services/desk.py and services/regions.py."""
import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..forms import choices
from ..forms.desk_admin import DeskProfileForm, MoveMunicipalityForm, RegionForm
from ..models import Municipality, Region
from ..services.desk import EDITABLE_FIELDS, desk, update_desk_profile
from ..services.regions import move_municipality, open_requests_of, region_history, save_region
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("desk_admin", __name__, url_prefix="/admin")


@bp.route("/desk", methods=["GET", "POST"])
@permission_required("manage", "desk_settings")
def profile():
    current = desk()
    form = DeskProfileForm(obj=current)
    if form.validate_on_submit():
        with service_call(form) as call:
            changed = update_desk_profile(current_user, **{f: getattr(form, f).data
                                                           for f in EDITABLE_FIELDS})
        if call.ok:
            flash(_("デスクの設定を保存しました。") if changed else _("変更はありませんでした。"),
                  "success")
            return redirect(url_for("desk_admin.profile"))
    return render_template("admin/desk_profile.html", form=form, profile=current,
                           fixed_sender=current_app.config.get("MAIL_FROM"))


@bp.get("/regions")
@permission_required("manage", "desk_settings")
def regions():
    rows = db.session.scalars(sa.select(Region).options(selectinload(Region.municipalities))
                              .order_by(Region.sort_order, Region.id)).all()
    return render_template("admin/regions.html", regions=rows)


@bp.route("/regions/new", methods=["GET", "POST"])
@bp.route("/regions/<int:region_id>", methods=["GET", "POST"])
@permission_required("manage", "desk_settings")
def region_edit(region_id=None):
    region = db.get_or_404(Region, region_id) if region_id else None
    form = RegionForm(obj=region)
    if form.validate_on_submit():
        with service_call(form) as call:
            save_region(current_user, region, name=form.name.data,
                        has_liaison=form.has_liaison.data, sort_order=form.sort_order.data,
                        round_cycle_months=form.round_cycle_months.data)
        if call.ok:
            flash(_("圏域を保存しました。"), "success")
            return redirect(url_for("desk_admin.regions"))
    return render_template("admin/region_form.html", form=form, region=region)


@bp.route("/municipalities/<int:municipality_id>/region", methods=["GET", "POST"])
@permission_required("manage", "desk_settings")
def municipality_region(municipality_id):
    municipality = db.get_or_404(Municipality, municipality_id)
    form = MoveMunicipalityForm()
    form.region_id.choices = choices([(0, "—")] + [
        (r.id, r.name) for r in db.session.scalars(sa.select(Region).order_by(Region.sort_order, Region.id))
        if r.id != municipality.region_id])
    if form.validate_on_submit():
        target = db.session.get(Region, form.region_id.data) if form.region_id.data else None
        with service_call(form) as call:
            kept = move_municipality(current_user, municipality, target)
        if call.ok:
            flash(_("%(name)sを%(region)sへ移しました。", name=municipality.name, region=target.name)
                  + (_("受付済みの依頼%(n)s件は、これまでの担当が引き続き対応します。", n=kept)
                     if kept else ""), "success")
            return redirect(url_for("desk_admin.regions"))
    return render_template("admin/municipality_region.html", form=form, municipality=municipality,
                           history=region_history(municipality.id),
                           open_requests=open_requests_of(municipality))
