"""Admin pages: users, themes, expert profiles, departments, the audit log and the permission
table."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..services import catalogue
from ..extensions import db
from ..forms import choices
from ..links import networks
from ..forms.admin import ROLE_LABELS, DepartmentForm, ExpertProfileForm, ThemeForm, UserForm
from ..models import AuditLog, Department, Municipality, Region, Theme, User
from ..roles import Role
from ..services.visits import round_departments
from ..services.accounts.users import (create_user, save_expert_profile, save_theme,
                                      takes_expert_profile, update_user)
from ..template_helpers import theme_name
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


def _user_choices(form):
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    form.municipality_id.choices = choices([(0, "—")] + [(m.id, f"{m.name} ({m.code})")
                                                      for m in munis])
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    form.region_ids.choices = choices((r.id, r.name) for r in regions)
    form.network.choices = choices([("", _("役割による(既定)"))] + [
        (name, f"{name}({url})") for name, url in networks().items()])


@bp.get("/")
@permission_required("view", "admin_area")
def index():
    return redirect(url_for("admin.users"))


@bp.get("/users")
@permission_required("view", "user")
def users():
    stmt = sa.select(User).order_by(User.role, User.email)
    q = request.args.get("q", "").strip()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(sa.or_(User.email.ilike(like), User.display_name.ilike(like)))
    role = request.args.get("role")
    if role in ROLE_LABELS:
        stmt = stmt.where(User.role == role)
    rows = db.session.scalars(stmt.limit(500)).all()
    return render_template("admin/users.html", users=rows, q=q, role=role, role_labels=ROLE_LABELS)


def _user_values(form):
    return dict(email=form.email.data, display_name=form.display_name.data, role=form.role.data,
                municipality_id=form.municipality_id.data or None,
                region_ids=form.region_ids.data or [], department=form.department.data,
                is_information_dept=form.is_information_dept.data,
                is_central_team=form.is_central_team.data, is_team_lead=form.is_team_lead.data,
                locale=form.locale.data, network=form.network.data or None,
                active=form.active.data)


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required("manage", "user")
def user_new():
    form = UserForm()
    _user_choices(form)
    if form.validate_on_submit():
        with service_call(form) as call:
            user = create_user(current_user, password=form.password.data or None,
                               **_user_values(form))
        if call.ok:
            flash(_("利用者を登録しました。"), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None,
                           takes_expert_profile=takes_expert_profile)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("manage", "user")
def user_edit(user_id):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    _user_choices(form)
    if not form.is_submitted():
        form.region_ids.data = sorted(user.region_ids)
        form.municipality_id.data = user.municipality_id or 0
    if form.validate_on_submit():
        with service_call(form) as call:
            update_user(current_user, user, password=form.password.data or None,
                        **_user_values(form))
        if call.ok:
            flash(_("利用者を更新しました。"), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=user,
                           takes_expert_profile=takes_expert_profile)


@bp.get("/themes")
@permission_required("manage", "theme")
def themes():
    rows = db.session.scalars(sa.select(Theme).order_by(Theme.sort_order, Theme.id)).all()
    return render_template("admin/themes.html", themes=rows)


@bp.route("/themes/new", methods=["GET", "POST"])
@bp.route("/themes/<int:theme_id>", methods=["GET", "POST"])
@permission_required("manage", "theme")
def theme_edit(theme_id=None):
    theme = (db.session.get(Theme, theme_id) or abort(404)) if theme_id else None
    form = ThemeForm(obj=theme)
    if form.validate_on_submit():
        with service_call(form) as call:
            save_theme(current_user, theme, code=form.code.data, name_ja=form.name_ja.data,
                       name_en=form.name_en.data, sort_order=form.sort_order.data,
                       active=form.active.data)
        if call.ok:
            flash(_("相談分野を保存しました。"), "success")
            return redirect(url_for("admin.themes"))
    return render_template("admin/theme_form.html", form=form, theme=theme)


@bp.get("/departments")
@permission_required("manage", "department")
def departments():
    return render_template("admin/departments.html", departments=round_departments.departments())


@bp.route("/departments/new", methods=["GET", "POST"])
@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@permission_required("manage", "department")
def department_edit(department_id=None):
    dept = db.get_or_404(Department, department_id) if department_id else None
    form = DepartmentForm(obj=dept)
    if form.validate_on_submit():
        with service_call(form) as call:
            round_departments.save_department(current_user, dept, name=form.name.data,
                                              contact_email=form.contact_email.data,
                                              active=form.active.data)
        if call.ok:
            flash(_("県の関係部署を保存しました。"), "success")
            return redirect(url_for("admin.departments"))
    return render_template("admin/department_form.html", form=form, dept=dept)


@bp.post("/departments/<int:department_id>/reissue")
@permission_required("manage", "department")
def department_reissue(department_id):
    dept = db.get_or_404(Department, department_id)
    with service_call() as call:
        round_departments.reissue_link(current_user, dept)
    if call.ok:
        flash(_("閲覧用リンクを発行し直しました。以前のリンクは使えなくなりました。"), "success")
    return redirect(url_for("admin.department_edit", department_id=dept.id))


@bp.get("/experts")
@permission_required("manage", "expert_profile")
def experts():
    rows = db.session.scalars(sa.select(User).where(User.role == Role.EXPERT).order_by(User.email)).all()
    return render_template("admin/experts.html", experts=rows)


@bp.route("/experts/<int:user_id>", methods=["GET", "POST"])
@permission_required("manage", "expert_profile")
def expert_edit(user_id):
    user = db.session.get(User, user_id)
    if not takes_expert_profile(user):
        abort(404)
    profile = user.expert_profile
    form = ExpertProfileForm(obj=profile)
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    form.home_region_id.choices = choices([(0, "—")] + [(r.id, r.name) for r in regions])
    form.kind.choices = choices(catalogue.choices(catalogue.EXPERT_KIND,
                                                  keep=[profile.kind] if profile else ()))
    themes_ = db.session.scalars(sa.select(Theme).where(Theme.active.is_(True))
                                 .order_by(Theme.sort_order)).all()
    form.theme_ids.choices = choices((t.id, theme_name(t)) for t in themes_)
    if not form.is_submitted() and profile is not None:
        form.theme_ids.data = [t.id for t in profile.themes]
        form.home_region_id.data = profile.home_region_id or 0
    if form.validate_on_submit():
        save_expert_profile(current_user, user, kind=form.kind.data,
                            home_region_id=form.home_region_id.data or None,
                            organisation=form.organisation.data, theme_ids=form.theme_ids.data or [],
                            bio=form.bio.data, available=form.available.data)
        db.session.commit()
        flash(_("専門人材のプロフィールを保存しました。"), "success")
        return redirect(url_for("admin.experts"))
    return render_template("admin/expert_form.html", form=form, expert=user)


@bp.get("/audit")
@permission_required("view", "audit_log")
def audit():
    before = request.args.get("before", type=int)
    stmt = sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(PAGE_SIZE)
    if before:
        stmt = stmt.where(AuditLog.id < before)
    action = request.args.get("action", "").strip()
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action))
    rows = db.session.scalars(stmt).all()
    return render_template("admin/audit.html", rows=rows, action=action, page_size=PAGE_SIZE)


@bp.get("/permissions")
@permission_required("view", "admin_area")
def permission_table():
    return render_template("admin/permissions.html", rows=permissions.permission_table(),
                           role_labels=ROLE_LABELS)
