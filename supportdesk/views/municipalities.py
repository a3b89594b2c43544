"""Municipalities: the list, each municipality's page (profile and history) and its sheet."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..extensions import db
from ..forms.admin import MunicipalityProfileForm
from ..models import Municipality, Region
from ..services.accounts.users import update_municipality_profile
from ..timeutil import utcnow

bp = Blueprint("municipalities", __name__, url_prefix="/municipalities")



def history_sections():
    """The sections of the municipality page, declared here in one list: callables
    (municipality, user) -> dict with "template" and context (or None to leave the section out),
    rendered by their optional "order" (default 0), then in this order."""
    from .announcements import municipality_announcements_section
    from .engagements import municipality_engagements_section
    from .history import history_section
    from .meetings import municipality_meetings_section
    from .projects import municipality_projects_section
    from .report_charts import municipality_requests_section
    from .rounds import history_section as rounds_section
    from .rounds import planned_round_section
    from .status import status_section
    from .survey_answers import municipality_surveys_section
    from .training import municipality_training_section
    from .visits import municipality_visits_section

    return [status_section, municipality_requests_section, planned_round_section, rounds_section,
            municipality_visits_section,
            municipality_engagements_section, municipality_announcements_section,
            municipality_surveys_section, municipality_training_section,
            municipality_meetings_section, municipality_projects_section, history_section]



def _get(code):
    m = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    if m is None:
        from flask import abort

        abort(404)
    permissions.require(current_user, "view", m)
    return m


@bp.get("/")
@login_required
def index():
    stmt = sa.select(Municipality).join(Region).order_by(Region.sort_order, Municipality.code)
    stmt = permissions.scope_municipalities(stmt, current_user)
    munis = db.session.scalars(stmt).all()
    return render_template("municipalities/index.html", municipalities=munis)


def _sections(m):
    # The user itself, not the current_user proxy: the sections ask permissions.scope_of about
    # it ~70 times, and each attribute read through the proxy looks the user up again.
    user = current_user._get_current_object()
    sections = [s for s in (section(m, user) for section in history_sections()) if s]
    sections.sort(key=lambda s: s.get("order", 0))
    return sections


@bp.get("/<code>")
@login_required
def show(code):
    m = _get(code)
    return render_template("municipalities/show.html", m=m, sections=_sections(m))


@bp.get("/<code>/sheet")
@login_required
def sheet(code):
    """The municipality sheet: the same sections as the page, laid out for printing on A4."""
    m = _get(code)
    return render_template("municipalities/sheet.html", m=m, sections=_sections(m),
                           printed_at=utcnow())


@bp.route("/<code>/profile", methods=["GET", "POST"])
@login_required
def edit_profile(code):
    m = _get(code)
    permissions.require(current_user, "edit_profile", m)
    form = MunicipalityProfileForm(obj=m)
    if form.is_submitted() is False:
        form.dx_step.data = "" if m.dx_step is None else str(m.dx_step)
        form.population_band.data = m.population_band or ""
        form.dx_staff_band.data = m.dx_staff_band or ""
    if form.validate_on_submit():
        update_municipality_profile(current_user, m, **{f.name: f.data for f in form
                                                         if f.name != "csrf_token"})
        db.session.commit()
        flash(_("プロフィールを更新しました。"), "success")
        return redirect(url_for("municipalities.show", code=m.code))
    return render_template("municipalities/profile_form.html", m=m, form=form)
