"""The liaison ticket queue (受付キュー): filters, sort, keyset pages, counts, saved views, bulk actions."""
from dataclasses import replace
from urllib.parse import urlencode

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms.queue import BulkActionForm, BulkAssignForm, SavedViewForm
from ..models import SavedView, User
from ..models.support_request import KIND_LABELS
from ..models.waiting import WAITING_LABELS
from ..services.meetings.items import overdue_exists, overdue_for_liaison
from ..services import ValidationFailed, reference
from ..services.requests.queue import PER_PAGE, QUEUE_STATES, QueueFilter, load_queue_page
from ..services.requests.conversation import active_reply_templates
from ..services.requests.queue_assign import assignable_liaisons, bulk_assign
from ..services.requests.queue_bulk import EXPORT_OPS, bulk_apply, bulk_ops
from ..services.requests.queue_export import export_selection, selection_csv, selection_xlsx
from ..services.requests.saved_views import clean_query, delete_view, list_views_and, save_view
from ..i18n import N_
from ..timeutil import to_jst, utcnow
from ..workflow import ACTION_LABELS, STATE_LABELS, Action, State
from .decorators import permission_required
from .queue_rows import RowLabels, rows_html
from .service_call import field_error, service_call

bp = Blueprint("queue", __name__, url_prefix="/queue")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BULK_OP_LABELS = {"hold": ACTION_LABELS[Action.HOLD], "resume": ACTION_LABELS[Action.RESUME],
                  "close": ACTION_LABELS[Action.CLOSE], "reply": N_("定型文で返信する"),
                  "follow": N_("フォローする"), "unfollow": N_("フォローをやめる")}
MAX_LABELS = 30  # numbers listed per refusal reason (the flash lives in the session cookie)


def _with_query(path, args):
    """url_for's URL for `path` and query `args` (werkzeug's encoding: the same safe characters),
    without building the route again: the page has ~16 links to itself."""
    items = [(k, v) for k, vs in args.items()
             for v in (vs if isinstance(vs, (list, tuple)) else (vs,))]
    return path + "?" + urlencode(items, safe="!$'()*,/:;?@") if items else path


def _queue_url(flt, **changes):
    return _with_query(url_for("queue.index"), flt.to_args(**changes))


def _safe_back(value):
    # Only ever go back to a queue page (never an arbitrary URL).
    return value if value and value.startswith("/queue") and "//" not in value else \
        url_for("queue.index")


def _choices():
    return {
        "states": [(s, _(STATE_LABELS[State(s)])) for s in QUEUE_STATES],
        "kinds": [(k, _(v)) for k, v in KIND_LABELS.items()],
        # Cached per process, invalidated on admin change (services/reference.py).
        "themes": reference.themes(),
        "regions": reference.regions(),
        "municipalities": reference.municipalities(),
        "liaisons": assignable_liaisons(),
        "waiting": [("yes", _("回答待ち")), ("no", _("回答待ちでない"))],
        "info_dept": [("outside", _("情報部門以外からの依頼")),
                      ("unreached", _("情報部門以外から・共有が届かず")),
                      ("through", _("情報部門からの依頼"))],
    }


class _Options:
    """The filter drop-downs' <option> tags for the reference lists, escaped once per process
    and reference version (and locale, for translated labels); each page only marks its
    selected value. Looping over 41 municipalities, the themes, regions and liaisons in Jinja
    was a good part of the queue's render time."""

    def __init__(self, locale):
        self.locale = locale

    @staticmethod
    def _pairs(name, locale, items):
        return reference.derived(("queue_options", name, locale), lambda: tuple(
            (str(value), f'<option value="{escape(value)}"', f">{escape(label)}</option>")
            for value, label in items()))

    @staticmethod
    def _tags(pairs, selected):
        return Markup("".join(f"{head} selected{tail}" if value == selected else head + tail
                              for value, head, tail in pairs))

    def themes(self, selected):
        loc = self.locale
        return self._tags(self._pairs("themes", loc, lambda: [
            (t.code, t.label(loc)) for t in reference.themes()]), selected)

    def regions(self, selected):
        return self._tags(self._pairs("regions", "", lambda: [
            (r.id, r.name) for r in reference.regions()]), selected)

    def municipalities(self, selected):
        return self._tags(self._pairs("municipalities", "", lambda: [
            (m.code, m.name) for m in reference.municipalities()]), selected)

    def liaisons(self, selected):
        return self._tags(self._pairs("liaisons", "", lambda: [
            (u.id, u.display_name) for u in assignable_liaisons()]), selected)


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


def _bulk_actions(ops, locale, bulk_form=None):
    """The bulk actions' fieldset. Untouched (a GET), it is the same for everyone offered the
    same actions in the same language: rendered once per process and reference version (the
    liaisons and 定型文 it lists are reference lists, so an admin's change shows at once). A
    form that came back refused is rendered with its values and errors."""
    def render(bulk_form, assign_form):
        _template_choices(bulk_form)
        assign_form.assignee.choices = [(u.id, u.display_name) for u in assignable_liaisons()]
        return Markup(render_template("queue/_bulk_actions.html", ops=ops, bulk_form=bulk_form,
                                      assign_form=assign_form))

    if bulk_form is not None:
        return render(bulk_form, BulkAssignForm())
    return reference.derived(("queue_bulk_actions", locale, tuple(ops)), lambda: render(
        BulkActionForm(formdata=None), BulkAssignForm(formdata=None)))


MAX_KEPT_FILTERS = 200  # filters whose fragments one process keeps per reference version


def _kept_fragments(flt, locale, ops, index_path, options, choices):
    """The filter form and the table's header row (its sort links): ~40 translated labels,
    the choices and the links, the same for every view of one filter by one role. Kept per
    process, language, role, filter and reference version (so an admin's change to a list
    shows at once); a search (free text) and filters past MAX_KEPT_FILTERS are rendered each
    time."""
    def render():
        context = dict(flt=flt, choices=choices, options=options, index_path=index_path, ops=ops,
                       queue_url=lambda **c: _with_query(index_path, flt.to_args(**c)))
        return {part: Markup(render_template(f"queue/_{part}.html", **context))
                for part in ("filters", "thead")}

    if flt.q:
        return render()
    kept = reference.derived(("queue_fragments", locale, current_user.role, bool(ops),
                              index_path), dict)
    key = replace(flt, after="")
    fragments = kept.get(key)
    if fragments is None:
        fragments = render()
        if len(kept) < MAX_KEPT_FILTERS:
            kept[key] = fragments
    return fragments


def _render_queue(flt, bulk_form=None, status=200):
    now = utcnow()
    page = load_queue_page(current_user, flt, now,
                           per_page=current_app.config.get("QUEUE_PER_PAGE", PER_PAGE))
    locale = str(get_locale())
    ops = bulk_ops(current_user)
    bulk_actions = _bulk_actions(ops, locale, bulk_form) if ops else ""
    index_path = url_for("queue.index")
    # The translated labels, once per process, language and reference version (the desk's
    # word for 市町 is in the reference lists).
    choices = reference.derived(("queue_choices", locale), _choices)
    # One statement for the saved views and whether there are overdue meeting items to list.
    saved_views, any_overdue = list_views_and(current_user, overdue_exists(current_user, now))
    # A view builds no form object (the first of a request loads WTForms' catalogue from disk):
    # only a refused bulk action comes back with its form, its ticked rows and its errors.
    labels = reference.derived(("queue_row_labels", locale), lambda: RowLabels(_row_labels()))
    rows = rows_html(
        page.rows, labels=labels, locale=locale, now=now,
        # One url_for for the 50 row links: the path of request 0 without its id.
        request_href=url_for("requests.show", request_id=0)[:-1], checkboxes=bool(ops),
        checked_ids=set(bulk_form.ids.data or ()) if bulk_form is not None else (),
        ids_error=bool(bulk_form is not None and bulk_form.ids.errors))
    return render_template(
        "queue/index.html", flt=flt, page=page, rows_html=rows, bulk_actions=bulk_actions,
        index_path=index_path, back=_with_query(index_path, flt.to_args()),
        queue_url=lambda **c: _with_query(index_path, flt.to_args(**c)), choices=choices,
        fragments=_kept_fragments(flt, locale, ops, index_path, _Options(locale), choices),
        view_query=urlencode(flt.to_args(after=""), doseq=True),
        saved_views=saved_views, ops=ops,
        overdue_items=overdue_for_liaison(current_user, now=now) if any_overdue else ()), status


def _template_choices(form):
    form.template_id.choices = [(0, _("定型文を選ぶ"))] + [
        (t.id, t.title) for t in active_reply_templates()] \
        if permissions.can(current_user, "view", "reply_template") else [(0, "")]


@bp.get("/")
@permission_required("view", "queue")
def index():
    return _render_queue(QueueFilter.from_args(request.args))


def _flash_result(result):
    if result.done:
        flash(_("%(n)d件に「%(op)s」を行いました。", n=len(result.done),
                op=_(BULK_OP_LABELS[result.op])), "success")
    for reason, labels in result.refusals_by_reason():
        shown = "、".join(labels[:MAX_LABELS])
        if len(labels) > MAX_LABELS:
            shown += _("ほか%(n)d件", n=len(labels) - MAX_LABELS)
        flash(_("%(n)d件は変更できませんでした(%(numbers)s):%(reason)s", n=len(labels),
                numbers=shown, reason=reason), "warning")


@bp.post("/bulk")
@permission_required("view", "queue")
def bulk():
    """The bulk actions' one endpoint: the pressed button names the op; the query string keeps
    the queue's filters, so a refused form comes back on the same page with the rows ticked."""
    flt = QueueFilter.from_args(request.args)
    form = BulkActionForm()
    _template_choices(form)
    op = form.op.data or ""
    if op not in bulk_ops(current_user):
        abort(403)
    if not form.validate():
        return _render_queue(flt, form, 422)
    if op in EXPORT_OPS:
        try:
            rows = export_selection(current_user, form.ids.data)
        except ValidationFailed as exc:
            field_error(form, exc)
            return _render_queue(flt, form, 422)
        stamp = to_jst(utcnow()).strftime("%Y%m%d-%H%M")
        if op == "export_csv":
            return Response(selection_csv(rows), content_type="text/csv; charset=utf-8", headers={
                "Content-Disposition": f'attachment; filename="requests-{stamp}.csv"'})
        return Response(selection_xlsx(rows), mimetype=XLSX_MIMETYPE, headers={
            "Content-Disposition": f'attachment; filename="requests-{stamp}.xlsx"'})
    with service_call(form) as call:
        result = bulk_apply(current_user, op, form.ids.data, reason=form.reason.data,
                            hold_until=form.hold_until.data,
                            template_id=form.template_id.data or None, now=utcnow())
    if not call.ok:
        return _render_queue(flt, form, 422)
    _flash_result(result)
    return redirect(_queue_url(flt))


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
