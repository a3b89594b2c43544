"""Retention (公文書管理): the spring list and its decisions, the policies (admins), and the file
register (admins and managers). The rules are in services/retention/."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms.retention import (
    ConfirmForm,
    ExtendForm,
    HoldForm,
    ListActionForm,
    PolicyForm,
    ReleaseForm,
)
from ..models import RetentionRecord
from ..models.retention import CLASS_LABELS, DISPOSITION_LABELS, STATUS_LABELS
from ..services.retention import decisions, register
from ..services.retention.decisions import RetentionRefused
from ..services.retention.kinds import KINDS, policies
from ..services.retention.periods import fiscal_year_end
from ..services.retention.policies import update_policy
from ..timeutil import fiscal_year, fiscal_year_label, utcnow
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("retention", __name__, url_prefix="/retention")

LABELS = dict(classes=CLASS_LABELS, dispositions=DISPOSITION_LABELS, statuses=STATUS_LABELS,
              kinds={k.value: spec.label for k, spec in KINDS.items()})


def _fy():
    fy = request.args.get("fy", type=int)
    current = fiscal_year(utcnow())
    return fy if fy is not None and 2000 <= fy <= current + 50 else current


@bp.get("/")
@permission_required("manage", "retention")
def index():
    fy = _fy()
    return render_template("retention/index.html", fy=fy, fy_label=fiscal_year_label(fy),
                           fy_end=fiscal_year_end(fy),
                           rows=decisions.spring_list(fy), form=ListActionForm(), **LABELS)


def _list_action(service, message):
    fy = _fy()
    form = ListActionForm()
    if form.validate_on_submit():
        with service_call(form, refused=(RetentionRefused,)) as call:
            count = service(fy)
        if call.ok:
            flash(message % {"count": count}, "success")
    return redirect(url_for("retention.index", fy=fy))


@bp.post("/prepare")
@permission_required("manage", "retention")
def prepare():
    return _list_action(lambda fy: decisions.prepare_spring_list(
        fy, now=utcnow(), actor=current_user), _("一覧に %(count)s 件を追加しました。"))


@bp.post("/confirm-listed")
@permission_required("manage", "retention")
def confirm_listed():
    return _list_action(lambda fy: decisions.confirm_listed(
        fy, actor=current_user, now=utcnow()), _("%(count)s 件の措置を確認しました。"))


@bp.post("/carry-out")
@permission_required("manage", "retention")
def carry_out():
    return _list_action(lambda fy: decisions.carry_out_due(now=utcnow(), actor=current_user),
                        _("保存期間が満了した %(count)s 件を移管・廃棄しました。"))


def _row(row_id):
    row = db.get_or_404(RetentionRecord, row_id)
    permissions.require(current_user, "manage", row)
    return row


def _forms(row, bound=None):
    forms = dict(confirm=ConfirmForm(prefix="confirm", formdata=None,
                                     data={"disposition": row.disposition}),
                 extend=ExtendForm(prefix="extend", formdata=None), hold=HoldForm(prefix="hold",
                                                                                 formdata=None),
                 release=ReleaseForm(prefix="release", formdata=None))
    forms.update(bound or {})
    return forms


@bp.get("/<int:row_id>")
@permission_required("manage", "retention")
def show(row_id):
    row = _row(row_id)
    return render_template("retention/show.html", row=row, forms=_forms(row), **LABELS)


def _decide(row_id, name, form_class, service, message):
    row = _row(row_id)
    form = form_class(prefix=name)
    if form.validate_on_submit():
        with service_call(form, refused=(RetentionRefused,)) as call:
            service(row, form)
        if call.ok:
            flash(message, "success")
            return redirect(url_for("retention.show", row_id=row.id))
    return render_template("retention/show.html", row=row, forms=_forms(row, {name: form}),
                           **LABELS)


@bp.post("/<int:row_id>/confirm")
@permission_required("manage", "retention")
def confirm(row_id):
    return _decide(row_id, "confirm", ConfirmForm, lambda row, form: decisions.confirm_disposition(
        row, actor=current_user, disposition=form.disposition.data, now=utcnow()),
        _("満了時の措置を確認しました。"))


@bp.post("/<int:row_id>/extend")
@permission_required("manage", "retention")
def extend(row_id):
    return _decide(row_id, "extend", ExtendForm, lambda row, form: decisions.extend_retention(
        row, actor=current_user, years=form.years.data, reason=form.reason.data, now=utcnow()),
        _("保存期間を延長しました。"))


@bp.post("/<int:row_id>/hold")
@permission_required("manage", "retention")
def hold(row_id):
    return _decide(row_id, "hold", HoldForm, lambda row, form: decisions.place_hold(
        row, actor=current_user, reason=form.reason.data, now=utcnow()),
        _("法的保存(リーガルホールド)にしました。"))


@bp.post("/<int:row_id>/release")
@permission_required("manage", "retention")
def release(row_id):
    return _decide(row_id, "release", ReleaseForm, lambda row, form: decisions.release_hold(
        row, actor=current_user, reason=form.reason.data, now=utcnow()),
        _("法的保存を解除しました。"))


@bp.route("/policies", methods=["GET", "POST"])
@permission_required("manage", "retention")
def policies_page():
    current = policies()
    forms = {kind.value: PolicyForm(prefix=kind.value, formdata=None, data={
        "retention_class": cls.value, "disposition": disp.value})
        for kind, (cls, disp) in current.items()}
    kind = request.form.get("kind")
    if request.method == "POST" and kind in forms:
        form = forms[kind] = PolicyForm(prefix=kind)
        if form.validate_on_submit():
            with service_call(form) as call:
                update_policy(kind, actor=current_user, retention_class=form.retention_class.data,
                              disposition=form.disposition.data, now=utcnow())
            if call.ok:
                flash(_("保存期間と満了時の措置を保存しました。"), "success")
                return redirect(url_for("retention.policies_page"))
    return render_template("retention/policies.html", forms=forms, **LABELS)


@bp.get("/register")
@permission_required("view_register", "retention")
def register_page():
    rows = register.register_rows(now=utcnow(), translate=_)
    return render_template("retention/register.html", rows=rows, **LABELS)


def _download(body, mimetype, name):
    return Response(body, content_type=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/register.csv")
@permission_required("view_register", "retention")
def register_csv():
    now = utcnow()
    rows = register.register_rows(now=now, translate=_)
    return _download(register.register_csv(rows, translate=_), "text/csv; charset=utf-8",
                     f"file-register-{now:%Y%m%d}.csv")


@bp.get("/register.xlsx")
@permission_required("view_register", "retention")
def register_xlsx():
    now = utcnow()
    rows = register.register_rows(now=now, translate=_)
    body = register.register_xlsx(rows, title=_("ファイル管理簿"), made_at=now, translate=_)
    return _download(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"file-register-{now:%Y%m%d}.xlsx")
