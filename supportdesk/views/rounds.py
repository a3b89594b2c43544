"""Periodic rounds (定期巡回): coverage per region, plans and the itinerary, record a round,
propose a push lecture."""
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms import choices
from ..forms.rounds import PlannedRoundForm, PushLectureForm, RoundPlanForm, RoundRecordForm
from ..models import Department, Municipality, Region, RoundRecord, Visit
from ..services.visits import round_plans
from ..services.visits import rounds as svc
from ..services.visits.round_departments import departments as department_list
from ..timeutil import to_jst, utcnow
from .decorators import load_or_404, permission_required
from .service_call import service_call

bp = Blueprint("rounds", __name__, url_prefix="/rounds")


def _region(region_id):
    region = db.get_or_404(Region, region_id)
    if not region.has_liaison:
        abort(404)
    return region


@bp.get("/")
@permission_required("view", "round")
def index():
    rows = svc.coverage(svc.visible_plan_regions(current_user), utcnow())
    return render_template("rounds/index.html", rows=rows)


@bp.get("/regions/<int:region_id>")
@permission_required("view", "round")
def region(region_id):
    region = _region(region_id)
    plan = svc.RoundPlan(region)
    permissions.require(current_user, "view", plan)
    now = utcnow()
    statuses = svc.region_statuses(region, now)
    return render_template("rounds/region.html", region=region, plan=plan, statuses=statuses,
                           records=svc.records_for_region(region),
                           summary=svc.coverage([region], now)[0])


@bp.route("/regions/<int:region_id>/plan", methods=["GET", "POST"])
@permission_required("view", "round")
def plan(region_id):
    region = _region(region_id)
    permissions.require(current_user, "edit_plan", svc.RoundPlan(region))
    form = RoundPlanForm(months=region.round_cycle_months)
    if form.validate_on_submit():
        with service_call(form) as call:
            svc.update_round_cycle(current_user, region, form.months.data)
        if call.ok:
            flash(_("巡回計画を更新しました。"), "success")
            return redirect(url_for("rounds.region", region_id=region.id))
    return render_template("rounds/plan_form.html", region=region, form=form)


@bp.route("/municipalities/<code>/record", methods=["GET", "POST"])
@permission_required("record", "round")
def record(code):
    m = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    if m is None or not m.region.has_liaison:
        abort(404)
    permissions.require(current_user, "record", svc.RoundPlan(m.region))
    # ?visit=<id>: the round was scheduled as that visit; its record attaches to it.
    visit = None
    if request.args.get("visit", type=int):
        visit = load_or_404(Visit, request.args.get("visit", type=int))
        rec = svc.round_record_of(visit)
        if rec is not None:
            flash(_("この訪問の巡回記録は既に登録されています。"), "info")
            return redirect(url_for("rounds.show", record_id=rec.id))
    form = RoundRecordForm()
    form.departments.choices = choices((d.id, d.name) for d in department_list(active_only=True))
    if not form.is_submitted():
        form.start_time.data, form.end_time.data = svc.default_times()
        if visit is not None:
            starts, ends = to_jst(visit.starts_at), to_jst(visit.ends_at)
            form.held_on.data = starts.date()
            form.start_time.data, form.end_time.data = starts.time(), ends.time()
    if form.validate_on_submit():
        with service_call(form) as call:
            rec = svc.record_round(current_user, m, held_on=form.held_on.data,
                                   start_time=form.start_time.data, end_time=form.end_time.data,
                                   progress=form.progress.data, issues=form.issues.data,
                                   departments=_departments(form.departments.data), visit=visit,
                                   now=utcnow())
        if call.ok:
            flash(_("巡回記録を登録しました。"), "success")
            return redirect(url_for("rounds.show", record_id=rec.id))
    return render_template("rounds/record_form.html", m=m, form=form, visit=visit)


def _departments(ids):
    if not ids:
        return []
    return db.session.scalars(sa.select(Department).where(Department.id.in_(ids))
                              .order_by(Department.name)).all()


def _planned_municipality(code):
    m = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    if m is None or not m.region.has_liaison:
        abort(404)
    permissions.require(current_user, "plan", svc.RoundPlan(m.region))
    return m


@bp.route("/municipalities/<code>/plan", methods=["GET", "POST"])
@permission_required("plan", "round")
def plan_round(code):
    m = _planned_municipality(code)
    now = utcnow()
    cycles = round_plans.plannable_cycles(m.region, now)
    form = PlannedRoundForm()
    form.cycle.choices = choices((first.isoformat(), label) for first, _last, label in cycles)
    if not form.is_submitted():
        cycle = request.args.get("cycle") or cycles[0][0].isoformat()
        form.cycle.data = cycle
        current = round_plans.plan_for(m, date.fromisoformat(cycle)) if cycle in {
            c.value for c in form.cycle.choices} else None
        form.planned_on.data = current.planned_on if current else None
    if form.validate_on_submit():
        with service_call(form) as call:
            round_plans.plan_round(current_user, m, planned_on=form.planned_on.data,
                                   cycle_start=date.fromisoformat(form.cycle.data), now=now)
        if call.ok:
            flash(_("巡回予定を保存しました。"), "success")
            return redirect(url_for("rounds.region", region_id=m.region_id))
    return render_template("rounds/plan_round_form.html", m=m, form=form, cycles=cycles)


@bp.get("/itinerary")
@permission_required("view", "round")
def itinerary():
    now = utcnow()
    regions = svc.visible_plan_regions(current_user)
    can_plan = {r.id: permissions.can(current_user, "plan", svc.RoundPlan(r)) for r in regions}
    return render_template("rounds/itinerary.html", can_plan=can_plan,
                           groups=round_plans.itinerary(current_user, regions, now))


@bp.get("/records/<int:record_id>")
@permission_required("view", "round")
def show(record_id):
    rec = db.get_or_404(RoundRecord, record_id)
    permissions.require(current_user, "view", rec)
    form = PushLectureForm(title=svc.default_proposal_title(rec))
    return render_template("rounds/show.html", rec=rec, form=form)


@bp.post("/records/<int:record_id>/propose")
@permission_required("propose", "round")
def propose(record_id):
    rec = db.get_or_404(RoundRecord, record_id)
    permissions.require(current_user, "propose", rec)
    form = PushLectureForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            sreq = svc.propose_push_lecture(current_user, rec, title=form.title.data,
                                            submit=form.submit_now.data, now=utcnow())
        if call.ok:
            flash(_("プッシュ型出前講座の提案(%(number)s)を作成しました。",
                    number=sreq.display_number), "success")
            return redirect(url_for("rounds.show", record_id=rec.id))
    return render_template("rounds/show.html", rec=rec, form=form), 400


def history_section(municipality, user):
    """The municipality page's 定期巡回 section, for those who may see round records."""
    if not municipality.region.has_liaison:
        return None
    plan = svc.RoundPlan(municipality.region)
    if not permissions.can(user, "view", plan):
        return None
    status = svc.municipality_status(municipality, utcnow())
    return {"template": "rounds/_history.html", "round_status": status,
            "round_records": svc.records_for_municipality(municipality),
            "can_record": permissions.can(user, "record", plan),
            "can_plan": permissions.can(user, "plan", plan)}


def planned_round_section(municipality, user):
    """The municipality page's 巡回予定 for its own staff (prefecture users see the plan in
    the 定期巡回 section above): the planned dates of this cycle and the next, and whether this
    cycle's is due. planned_between scopes the plans to what the user may see."""
    if not municipality.region.has_liaison or permissions.can(user, "view", svc.RoundPlan(
            municipality.region)):
        return None
    now = utcnow()
    cycles = round_plans.plannable_cycles(municipality.region, now)
    upcoming = [p for p in round_plans.planned_between(
        user, cycles[0][0], cycles[-1][1] + timedelta(days=1), region_id=municipality.region_id)
        if p.municipality_id == municipality.id]
    if not upcoming:
        return None
    return {"template": "rounds/_planned.html", "plans": upcoming,
            "round_status": svc.municipality_status(municipality, now)}
