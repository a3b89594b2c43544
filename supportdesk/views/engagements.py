"""Accompaniment (伴走支援) pages: progress timeline, next check-in, contacts, closing."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..extensions import db
from ..forms.visits import CloseEngagementForm, ContactForm, EngagementForm, choices
from ..models import Engagement, Municipality, SupportRequest, User
from ..models.engagement import ACHIEVEMENTS, ENGAGEMENT_STATES
from ..roles import Role
from ..services.visits.engagements import (checkin_timeline, close_engagement, create_engagement,
                                           last_checkin_dates, log_contact,
                                           municipality_engagements, next_checkin_due)
from ..timeutil import JST, utcnow
from .decorators import load_or_404
from .service_call import service_call

bp = Blueprint("engagements", __name__, url_prefix="/visits/engagements")


@bp.get("/")
@login_required
def index():
    if permissions.scope_of(current_user, "view", "engagement") is None:
        abort(404)
    rows = db.session.scalars(permissions.scope_engagements(
        sa.select(Engagement).join(Municipality).order_by(Engagement.state, Engagement.id.desc()),
        current_user)).all()
    last = last_checkin_dates([e.id for e in rows])
    due = {e.id: next_checkin_due(e, last.get(e.id)) for e in rows}
    return render_template("engagements/index.html", rows=rows, due=due, states=ENGAGEMENT_STATES,
                           achievements=ACHIEVEMENTS)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Start an engagement from an accompaniment (or any) request of the municipality."""
    permissions.require(current_user, "manage", "engagement")
    sreq = db.session.get(SupportRequest, request.args.get("request_id", 0, type=int))
    sreq = permissions.require(current_user, "view", sreq or abort(404))
    form = EngagementForm()
    experts = db.session.scalars(sa.select(User).where(User.role == Role.EXPERT, User.active.is_(True))
                                 .order_by(User.display_name)).all()
    form.expert_ids.choices = choices((u.id, u.display_name) for u in experts)
    if not form.is_submitted():
        form.title.data = sreq.title
    if form.validate_on_submit():
        with service_call(form) as call:
            eng = create_engagement(current_user, municipality=sreq.municipality,
                                    title=form.title.data, goal=form.goal.data or "",
                                    cadence_days=form.cadence_days.data, ends_on=form.ends_on.data,
                                    experts=[u for u in experts if u.id in form.expert_ids.data],
                                    sreq=sreq)
        if call.ok:
            flash(_("伴走支援を開始しました。"), "success")
            return redirect(url_for("engagements.show", engagement_id=eng.id))
    return render_template("engagements/form.html", form=form, sreq=sreq)


@bp.get("/<int:engagement_id>")
@login_required
def show(engagement_id):
    eng = load_or_404(Engagement, engagement_id)
    today = utcnow().astimezone(JST).date()
    due = next_checkin_due(eng)
    return render_template("engagements/show.html", e=eng, timeline=checkin_timeline(eng),
                           due=due, overdue=eng.is_active and due < today,
                           contact_form=ContactForm(), close_form=CloseEngagementForm(),
                           states=ENGAGEMENT_STATES, achievements=ACHIEVEMENTS)


def _render_with(eng, **forms):
    forms.setdefault("contact_form", ContactForm(formdata=None))
    forms.setdefault("close_form", CloseEngagementForm(formdata=None))
    return render_template("engagements/show.html", e=eng, timeline=checkin_timeline(eng),
                           due=next_checkin_due(eng), overdue=False, states=ENGAGEMENT_STATES,
                           achievements=ACHIEVEMENTS, **forms)


@bp.post("/<int:engagement_id>/contacts")
@login_required
def add_contact(engagement_id):
    eng = load_or_404(Engagement, engagement_id, "log_contact")
    form = ContactForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            log_contact(eng, current_user, at=form.at.data.replace(tzinfo=JST),
                        summary=form.summary.data)
        if call.ok:
            flash(_("連絡記録を追加しました。"), "success")
            return redirect(url_for("engagements.show", engagement_id=eng.id))
    return _render_with(eng, contact_form=form), 422


@bp.post("/<int:engagement_id>/close")
@login_required
def close(engagement_id):
    eng = load_or_404(Engagement, engagement_id, "manage")
    form = CloseEngagementForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            close_engagement(eng, current_user, achievement=form.achievement.data,
                             put_in_place=form.put_in_place.data, next_steps=form.next_steps.data,
                             outcome=form.outcome.data)
        if call.ok:
            flash(_("伴走支援を終了しました。"), "success")
            return redirect(url_for("engagements.show", engagement_id=eng.id))
    return _render_with(eng, close_form=form), 422


def municipality_engagements_section(m, user):
    """The municipality page's 伴走支援: its engagements with check-ins and outcome."""
    if permissions.scope_of(user, "view", "engagement") is None:
        return None
    return {"template": "engagements/_municipality_section.html",
            "engagements": municipality_engagements(m, user), "states": ENGAGEMENT_STATES,
            "achievements": ACHIEVEMENTS}
