"""The April handover screen of a municipality (for its 情報部門 or a liaison of its team), and
the list of municipalities that have not confirmed it (for managers and liaisons)."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..extensions import db
from ..forms import choices
from ..forms.contacts import (ConfirmHandoverForm, LeavingForm, MoveForm, PassWorkForm,
                              SuccessorForm)
from ..models import Municipality, User
from ..services.contacts.directory import contacts_of, today_jst
from ..services.contacts.handover import (add_successor, confirm_handover, confirmation_of,
                                          handover_fiscal_year, handover_status, mark_leaving,
                                          move_department, open_work_of, pass_work, people_of)
from ..workflows.contacts import ROLE_LABELS
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("handover", __name__)


def _municipality(code, action="view"):
    m = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    if m is None:
        abort(404)
    permissions.require_in(current_user, action, "handover", m)
    return m


def _forms(m, **given):
    people = people_of(m.id)
    active = [(str(u.id), f"{u.display_name}({u.department or '—'})") for u, _d in people
              if u.active]
    forms = dict(leaving=LeavingForm(), move=MoveForm(), successor=SuccessorForm(),
                 pass_work=PassWorkForm(), confirm=ConfirmHandoverForm())
    forms.update(given)
    blank = [("", "—")]
    forms["leaving"].user_id.choices = choices(blank + active)
    forms["move"].user_id.choices = choices(blank + active)
    forms["pass_work"].leaver_id.choices = choices(blank + [
        (str(u.id), f"{u.display_name}({u.department or '—'})") for u, d in people
        if d is not None or not u.active])
    forms["pass_work"].successor_id.choices = choices(blank + active)
    return people, forms


def _page(m, status=200, **given):
    people, forms = _forms(m, **given)
    fy = handover_fiscal_year(today_jst())
    work = {u.id: open_work_of(u) for u, d in people if d is not None}
    return render_template("handover/screen.html", municipality=m, people=people, forms=forms,
                           fy=fy, confirmation=confirmation_of(m.id, fy), work=work,
                           contacts=contacts_of(m.id, on=today_jst()), role_labels=ROLE_LABELS,
                           may_manage=permissions.can_in(current_user, "manage", "handover", m)
                           ), status


@bp.get("/municipalities/<code>/handover")
@login_required
def screen(code):
    return _page(_municipality(code))


def _user_of(m, user_id):
    user = db.session.get(User, int(user_id)) if str(user_id or "").isdigit() else None
    if user is None or user.municipality_id != m.id:
        abort(404)
    return user


def _post(code, name, form_cls, run, done):
    m = _municipality(code, "manage")
    _people, forms = _forms(m, **{name: form_cls()})
    form = forms[name]
    if form.validate_on_submit():
        with service_call(form) as call:
            run(m, form)
        if call.ok:
            flash(done, "success")
            return redirect(url_for("handover.screen", code=code))
    return _page(m, 422, **{name: form})


@bp.post("/municipalities/<code>/handover/leaving")
@login_required
def leaving(code):
    return _post(code, "leaving", LeavingForm, lambda m, f: mark_leaving(
        current_user, m, _user_of(m, f.user_id.data), f.leaves_on.data),
        _("異動・退職の日を登録しました。その日にアカウントが無効になります。"))


@bp.post("/municipalities/<code>/handover/move")
@login_required
def move(code):
    return _post(code, "move", MoveForm, lambda m, f: move_department(
        current_user, m, _user_of(m, f.user_id.data), department=f.department.data,
        is_information_dept=f.is_information_dept.data), _("部署を変更しました。"))


@bp.post("/municipalities/<code>/handover/successor")
@login_required
def successor(code):
    return _post(code, "successor", SuccessorForm, lambda m, f: add_successor(
        current_user, m, email=f.email.data, display_name=f.display_name.data,
        department=f.department.data, is_information_dept=f.is_information_dept.data),
        _("後任のアカウントを作成し、パスワード設定の案内をメールで送りました。"))


@bp.post("/municipalities/<code>/handover/pass")
@login_required
def pass_on(code):
    return _post(code, "pass_work", PassWorkForm, lambda m, f: pass_work(
        current_user, m, _user_of(m, f.leaver_id.data), _user_of(m, f.successor_id.data)),
        _("対応中の依頼とフォローを後任に引き継ぎました。各依頼の履歴に記録しています。"))


@bp.post("/municipalities/<code>/handover/confirm")
@login_required
def confirm(code):
    return _post(code, "confirm", ConfirmHandoverForm, lambda m, f: confirm_handover(
        current_user, m, note=f.note.data), _("引継ぎを確認済みにしました。"))


@bp.get("/handover")
@permission_required("track", "handover")
def status():
    fy = request.args.get("fy", type=int) or handover_fiscal_year(today_jst())
    if not 2000 <= fy <= 2100:
        abort(404)
    rows = handover_status(fy)
    return render_template("handover/status.html", fy=fy, rows=rows,
                           missing=[m for m, c in rows if c is None])
