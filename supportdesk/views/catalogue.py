"""The programme catalogue (講座メニュー, 支援の種類, 専門人材の種別), kept by admins."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms.catalogue import CatalogueEntryForm
from ..models import CatalogueEntry
from ..models.catalogue import CATALOGUE_LISTS, LIST_LABELS
from ..services import catalogue
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("catalogue", __name__, url_prefix="/admin/catalogue")


@bp.get("/")
@permission_required("manage", "catalogue_entry")
def index():
    lists = [(name, _(LIST_LABELS[name]), catalogue.entries(name)) for name in CATALOGUE_LISTS]
    return render_template("admin/catalogue.html", lists=lists)


@bp.route("/new", methods=["GET", "POST"], defaults={"entry_id": None})
@bp.route("/<int:entry_id>", methods=["GET", "POST"])
@permission_required("manage", "catalogue_entry")
def edit(entry_id):
    entry = (db.session.get(CatalogueEntry, entry_id) or abort(404)) if entry_id else None
    form = CatalogueEntryForm(obj=entry)
    if entry is not None:
        # The list and the key of an existing entry never change (rows hold the key).
        del form.list_name, form.key
    elif not form.is_submitted() and request.args.get("list") in CATALOGUE_LISTS:
        form.list_name.data = request.args["list"]
    if form.validate_on_submit():
        values = dict(name_ja=form.name_ja.data, name_en=form.name_en.data,
                      guidance_ja=form.guidance_ja.data, guidance_en=form.guidance_en.data,
                      sort_order=form.sort_order.data, active=form.active.data)
        if entry is None:
            values.update(list_name=form.list_name.data, key=form.key.data)
        with service_call(form) as call:
            catalogue.save_entry(current_user, entry, **values)
        if call.ok:
            flash(_("選択肢を保存しました。"), "success")
            return redirect(url_for("catalogue.index"))
    return render_template("admin/catalogue_form.html", form=form, entry=entry,
                           list_label=_(LIST_LABELS[entry.list]) if entry else None)
