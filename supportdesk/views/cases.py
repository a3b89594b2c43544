"""The case library (事例): list with search, detail, add and edit, a case from a closed request."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms.library import CaseForm, choices
from ..models import Case, SupportAction, SupportRequest, Theme
from ..services import ValidationFailed
from ..services.cases import draft_from_request, save_case, search_cases
from ..template_helpers import theme_name
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("cases", __name__, url_prefix="/cases")


def _themes():
    return db.session.scalars(sa.select(Theme).where(Theme.active.is_(True))
                              .order_by(Theme.sort_order)).all()


def _page():
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.get("/")
@permission_required("view", "case")
def index():
    q = request.args.get("q", "")
    theme = request.args.get("theme", "")
    page = _page()
    rows, more = search_cases(q, theme or None, page)
    next_url = url_for("cases.index", q=q or None, theme=theme or None, page=page + 1) if more else None
    return render_template("cases/index.html", cases=rows, q=q, theme=theme, themes=_themes(),
                           next_url=next_url)


@bp.get("/<int:case_id>")
@permission_required("view", "case")
def show(case_id):
    case = db.get_or_404(Case, case_id)
    source_request = None
    if case.from_request_id:
        sreq = db.session.get(SupportRequest, case.from_request_id)
        if sreq is not None and permissions.can(current_user, "view", sreq):
            source_request = sreq
    uses = 0
    if permissions.can(current_user, "view", "queue"):
        uses = db.session.scalar(sa.select(sa.func.count()).select_from(SupportAction)
                                 .where(SupportAction.case_id == case.id))
    return render_template("cases/show.html", case=case, source_request=source_request, uses=uses)


def _choices(form):
    form.theme_id.choices = choices([(0, "—")] + [(t.id, theme_name(t)) for t in _themes()])


def _form_page(form, case=None, source_request=None):
    return render_template("cases/form.html", form=form, case=case, source_request=source_request)


def _save(form, case=None):
    values = {name: getattr(form, name).data for name in
              ("title", "organisation", "summary", "source", "url")}
    values["theme_id"] = form.theme_id.data or None
    if case is None and (form.from_request_id.data or "").isdigit():
        values["from_request_id"] = int(form.from_request_id.data)
    with service_call(form) as call:
        case = save_case(current_user, case, **values)
    if not call.ok:
        return None
    flash(_("事例を保存しました。"), "success")
    return case


@bp.route("/new", methods=["GET", "POST"])
@permission_required("manage", "case")
def new():
    form = CaseForm()
    source_request = None
    from_id = request.args.get("from_request", type=int) or (
        int(form.from_request_id.data) if (form.from_request_id.data or "").isdigit() else None)
    if from_id:
        source_request = db.get_or_404(SupportRequest, from_id)
        if not form.is_submitted():
            try:
                draft = draft_from_request(source_request, current_user)
            except ValidationFailed as exc:
                flash(str(exc), "error")
                return redirect(url_for("cases.index"))
            for name, value in draft.items():
                getattr(form, name).data = value
            form.theme_id.data = draft["theme_id"] or 0
    _choices(form)
    if form.validate_on_submit():
        case = _save(form)
        if case is not None:
            return redirect(url_for("cases.show", case_id=case.id))
    return _form_page(form, source_request=source_request)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@permission_required("manage", "case")
def edit(case_id):
    case = db.get_or_404(Case, case_id)
    form = CaseForm(obj=case)
    if not form.is_submitted():
        form.theme_id.data = case.theme_id or 0
    _choices(form)
    if form.validate_on_submit():
        if _save(form, case) is not None:
            return redirect(url_for("cases.show", case_id=case.id))
    return _form_page(form, case)
