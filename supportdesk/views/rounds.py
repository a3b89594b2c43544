"""Periodic rounds (定期巡回): coverage per region, record a round, propose a push lecture."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms.rounds import PushLectureForm, RoundPlanForm, RoundRecordForm
from ..models import Municipality, Region, RoundRecord, Visit
from ..services.visits import rounds as svc
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
                                   shared_departments=form.department_list(), visit=visit,
                                   now=utcnow())
        if call.ok:
            flash(_("巡回記録を登録しました。"), "success")
            return redirect(url_for("rounds.show", record_id=rec.id))
    return render_template("rounds/record_form.html", m=m, form=form, visit=visit)


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
    now = utcnow()
    last = svc.last_round_dates([municipality.id], now).get(municipality.id)
    status = svc.status_of(municipality, last, municipality.region.round_cycle_months, now)
    return {"template": "rounds/_history.html", "round_status": status,
            "round_records": svc.records_for_municipality(municipality),
            "can_record": permissions.can(user, "record", plan)}
