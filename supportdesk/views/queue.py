"""The liaison ticket queue (受付キュー): filters, sort, keyset pages, counts, saved views, bulk assign."""
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms.queue import BulkAssignForm, SavedViewForm
from ..models import Municipality, Region, SavedView, Theme, User
from ..models.support_request import KIND_LABELS
from ..models.waiting import WAITING_LABELS
from ..services import ValidationFailed
from ..services.requests.queue import PER_PAGE, QUEUE_STATES, QueueFilter, load_queue_page
from ..services.requests.response_target import due_status
from ..services.requests.queue_assign import assignable_liaisons, bulk_assign
from ..services.requests.saved_views import clean_query, delete_view, list_views, save_view
from ..timeutil import utcnow
from ..workflow import STATE_LABELS, State
from .decorators import permission_required

bp = Blueprint("queue", __name__, url_prefix="/queue")


def _queue_url(flt, **changes):
    return url_for("queue.index", **flt.to_args(**changes))


def _safe_back(value):
    # Only ever go back to a queue page (never an arbitrary URL).
    return value if value and value.startswith("/queue") and "//" not in value else \
        url_for("queue.index")


def _choices():
    return {
        "states": [(s, _(STATE_LABELS[State(s)])) for s in QUEUE_STATES],
        "kinds": [(k, _(v)) for k, v in KIND_LABELS.items()],
        "themes": db.session.scalars(sa.select(Theme).where(Theme.active.is_(True))
                                     .order_by(Theme.sort_order)).all(),
        "regions": db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all(),
        "municipalities": db.session.scalars(sa.select(Municipality)
                                             .order_by(Municipality.code)).all(),
        "liaisons": assignable_liaisons(),
        "waiting": [("yes", _("回答待ち")), ("no", _("回答待ちでない"))],
        "info_dept": [("outside", _("情報部門以外からの依頼")),
                      ("unreached", _("情報部門以外から・共有が届かず")),
                      ("through", _("情報部門からの依頼"))],
    }


def _row_labels():
    # Translated once per page, not once per row: gettext per cell dominated the render time.
    return {
        "state": {s.value: _(label) for s, label in STATE_LABELS.items()},
        "kind": {k: _(v) for k, v in KIND_LABELS.items()},
        "overdue": _("期限超過"), "today": _("本日期限"), "remaining": _("残り%(n)d営業日"),
        "unassigned": _("未割当"),
        "waiting": {w.value: _(label) for w, label in WAITING_LABELS.items()},
        "since": _("%(at)s から"), "paused": _("停止中(回答待ち)"),
    }


@bp.get("/")
@permission_required("view", "queue")
def index():
    now = utcnow()
    flt = QueueFilter.from_args(request.args)
    page = load_queue_page(current_user, flt, now,
                           per_page=current_app.config.get("QUEUE_PER_PAGE", PER_PAGE))
    choices = _choices()
    assign_form = BulkAssignForm(back=request.full_path)
    assign_form.assignee.choices = [(u.id, u.display_name) for u in choices["liaisons"]]
    view_form = SavedViewForm(query=urlencode(flt.to_args(after=""), doseq=True))
    return render_template(
        "queue/index.html", flt=flt, page=page, now=now, due=lambda s: due_status(s, now),
        queue_url=lambda **c: _queue_url(flt, **c), labels=_row_labels(), choices=choices, assign_form=assign_form, view_form=view_form,
        saved_views=list_views(current_user),
        can_assign=permissions.can(current_user, "assign", "request"))


@bp.post("/assign")
@permission_required("assign", "request")
def assign():
    form = BulkAssignForm()
    form.assignee.choices = [(u.id, u.display_name) for u in assignable_liaisons()]
    back = _safe_back(form.back.data)
    if not form.validate():
        for errors in form.errors.values():
            for e in errors:
                flash(e, "error")
        return redirect(back)
    assignee = db.session.get(User, form.assignee.data)
    try:
        done, refused = bulk_assign(current_user, form.ids.data, assignee, now=utcnow())
    except ValidationFailed as exc:
        flash(str(exc), "error")
        return redirect(back)
    db.session.commit()
    flash(_("%(n)d件の担当者を%(name)sさんにしました。", n=len(done), name=assignee.display_name),
          "success")
    if refused:
        flash(_("%(n)d件は割り当てできませんでした(権限がないか、終了した依頼です)。",
                n=len(refused)), "warning")
    return redirect(back)


@bp.post("/views")
@permission_required("manage", "saved_view")
def save_saved_view():
    form = SavedViewForm()
    if form.validate():
        try:
            view = save_view(current_user, form.name.data, form.query.data, now=utcnow())
        except ValidationFailed as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("ビュー「%(name)s」を保存しました。", name=view.name), "success")
            return redirect(url_for("queue.index") + ("?" + view.query if view.query else ""))
    else:
        for errors in form.errors.values():
            for e in errors:
                flash(e, "error")
    query = clean_query(form.query.data)
    return redirect(url_for("queue.index") + ("?" + query if query else ""))


@bp.post("/views/<int:view_id>/delete")
@permission_required("manage", "saved_view")
def delete_saved_view(view_id):
    view = db.session.get(SavedView, view_id)
    if view is None:
        abort(404)
    delete_view(current_user, view)  # PermissionDenied (another user's view) -> 404
    db.session.commit()
    flash(_("ビュー「%(name)s」を削除しました。", name=view.name), "success")
    return redirect(url_for("queue.index"))
