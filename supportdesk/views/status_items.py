"""The catalogue of status items (状況項目), kept by admins."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms.status import StatusItemForm
from ..models import StatusItem
from ..models.status import GROUP_LABELS, ITEM_GROUPS, ITEM_TYPE_LABELS
from ..services.municipalities.status_catalogue import save_status_item
from ..timeutil import utcnow
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("status_items", __name__, url_prefix="/status/items")


@bp.get("/")
@permission_required("manage", "status_item")
def index():
    items = db.session.scalars(sa.select(StatusItem)).all()
    items.sort(key=lambda i: (ITEM_GROUPS.index(i.item_group), i.sort_order, i.id))
    return render_template("status/items.html", items=items, group_labels=GROUP_LABELS,
                           type_labels=ITEM_TYPE_LABELS)


@bp.route("/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/<int:item_id>", methods=["GET", "POST"])
@permission_required("manage", "status_item")
def edit(item_id):
    item = db.session.get(StatusItem, item_id) if item_id else None
    if item_id and item is None:
        abort(404)
    form = StatusItemForm(obj=item)
    if item is not None and not form.is_submitted():
        form.steps.data = "\n".join(item.steps or [])
    if form.validate_on_submit():
        values = {f.name: f.data for f in form if f.name != "csrf_token"}
        values["label_en"] = values["label_en"] or values["label_ja"]
        values["sort_order"] = values["sort_order"] or 0
        with service_call(form) as call:
            saved = save_status_item(current_user, item, now=utcnow(), **values)
        if call.ok:
            flash(_("状況項目「%(label)s」を保存しました。", label=saved.label_ja), "success")
            return redirect(url_for("status_items.index"))
    return render_template("status/item_form.html", form=form, item=item)
