"""The DX status tracker's pages: the matrix of 41 municipalities x items, its exports, the
managers' step figures, the edit form of a value, and the section of the municipality page."""
import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms.status import status_value_form
from ..models import Municipality, Region, StatusItem, StatusValue
from ..models.status import GROUP_LABELS, SOURCE_LABELS
from ..services.municipalities import standardisation as std
from ..services.municipalities.status import (active_items, display_value, record_status,
                                              today_of, value_history)
from ..services.municipalities.status_overview import (CHANGE_WORDS, matrix_csv, matrix_xlsx,
                                                       status_matrix, step_figures)
from ..timeutil import utcnow
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("status", __name__, url_prefix="/status")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def municipality_or_404(code, action="view"):
    m = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    if m is None:
        abort(404)
    permissions.require(current_user, "view", m)
    permissions.require(current_user, action, StatusValue(municipality_id=m.id))
    return m


def region_filter():
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    region_id = request.args.get("region", type=int)
    return regions, (region_id if region_id in {r.id for r in regions} else None)


@bp.get("/")
@permission_required("overview", "status")
def index():
    regions, region_id = region_filter()
    matrix = status_matrix(current_user, now=utcnow(), region_id=region_id)
    return render_template("status/index.html", matrix=matrix, regions=regions,
                           region_id=region_id, group_labels=GROUP_LABELS,
                           change_words=CHANGE_WORDS)


@bp.get("/export.<fmt>")
@permission_required("overview", "status")
def export(fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    _regions, region_id = region_filter()
    matrix = status_matrix(current_user, now=utcnow(), region_id=region_id)
    locale = str(get_locale())
    name = f"dx-status-{today_of(utcnow()).isoformat()}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(matrix_csv(matrix, locale), content_type="text/csv; charset=utf-8",
                        headers=disposition)
    return Response(matrix_xlsx(matrix, locale), mimetype=XLSX, headers=disposition)


@bp.get("/figures")
@permission_required("overview", "status")
def figures():
    return render_template("status/figures.html", figures=step_figures(current_user,
                                                                       now=utcnow()))


@bp.route("/m/<code>/<key>", methods=["GET", "POST"])
@permission_required("edit", "status")
def edit_value(code, key):
    m = municipality_or_404(code, "edit")
    item = db.session.scalar(sa.select(StatusItem).where(StatusItem.key == key,
                                                          StatusItem.active.is_(True)))
    if item is None:
        abort(404)
    form = status_value_form(item)
    if not form.is_submitted():
        form.as_of.data = today_of(utcnow())
    if form.validate_on_submit():
        with service_call(form) as call:
            record_status(m, item, form.value.data, actor=current_user, source_kind="edit",
                          as_of=form.as_of.data, now=utcnow())
        if call.ok:
            flash(_("「%(item)s」を記録しました。", item=item.label(str(get_locale()))), "success")
            return redirect(url_for("municipalities.show", code=m.code) + "#status-h")
    return render_template("status/value_form.html", m=m, item=item, form=form,
                           history=value_history(m, item), display_value=display_value,
                           source_labels=SOURCE_LABELS)


def status_section(municipality, user):
    """The municipality page's DX状況: every item's current value, its as-of, where it came
    from, and the values before it (the trend); the standardisation summary."""
    probe = StatusValue(municipality_id=municipality.id)  # the permission table's "status"
    if not permissions.can(user, "view", probe):
        return None
    items = active_items()
    by_item = {}
    for row in value_history(municipality):
        by_item.setdefault(row.item_id, []).append(row)
    now = utcnow()
    current = std.current_migrations([municipality.id])
    systems = [(code, ja, en, current.get((municipality.id, code)))
               for code, ja, en in std.standard_systems()]
    return {"template": "status/_section.html", "order": -10, "items": items,
            "values": by_item, "display_value": display_value, "source_labels": SOURCE_LABELS,
            "group_labels": GROUP_LABELS, "may_edit": permissions.can(user, "edit", probe),
            "systems": systems, "today": today_of(now), "is_overdue": std.is_overdue,
            "migrated": sum(1 for s in systems if s[3] and s[3].status == "migrated")}
