"""Visit pages: detail, create, schedule from candidates, confirm/cancel/postpone, record,
follow-up and the municipality's satisfaction form."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import contains_eager
from wtforms import SelectChoice

from .. import permissions
from ..extensions import db
from ..forms.visits import (
    FollowUpForm,
    PostponeForm,
    ReasonForm,
    RecordForm,
    SatisfactionForm,
    ScheduleForm,
    VisitForm,
    choices,
)
from ..models import (
    Engagement,
    Municipality,
    Region,
    SupportRequest,
    User,
    Visit,
    VisitFollowUp,
)
from ..models.visit import VISIT_KINDS, VISIT_STATES
from ..roles import Role
from ..services import ValidationFailed
from ..services.visits.engagements import open_followup_engagement, open_followup_request
from ..services.surveys.answering import AnswersInvalid
from ..services.visits.lecture_survey import lecture_questions, lecture_results, may_add_questions
from ..services.visits.participant_survey import existing_link, may_share_survey, participant_link
from ..services.visits.rounds import recordable_municipalities, round_record_of, takes_round_record
from ..services.visits.lifecycle import (
    ATTENDEE_ROLES,
    InvalidVisitTransition,
    attendee_candidates,
    cancel_visit,
    candidate_options,
    confirm_visit,
    create_visit,
    date_warnings,
    may_rate,
    jst_range,
    postpone_visit,
    record_visit,
    schedule_from_candidate,
    submit_satisfaction,
    visible_answers,
    visit_actions,
    visit_warnings,
)
from ..timeutil import JST, utcnow
from .decorators import load_or_404
from .service_call import field_error, service_call

bp = Blueprint("visits", __name__, url_prefix="/visits")


def _aware(naive):
    return naive.replace(tzinfo=JST) if naive is not None else None


def _people_choices(roles=ATTENDEE_ROLES):
    users = attendee_candidates(roles)
    labels = {Role.EXPERT: _("専門人材"), Role.LIAISON: _("リエゾン")}
    return [SelectChoice(u.id, u.display_name, optgroup=labels[u.role]) for u in users]


def _muni_choices():
    rows = db.session.scalars(sa.select(Municipality).join(Region)
                              .options(contains_eager(Municipality.region))
                              .order_by(Region.sort_order, Municipality.code)).all()
    # Grouped by region (圏域), in the prefecture's order: the form shows one group a region.
    return [SelectChoice(m.id, m.name, optgroup=m.region.name) for m in rows]


def _users(ids):
    return db.session.scalars(sa.select(User).where(User.id.in_(ids or [0]))).all()


@bp.get("/<int:visit_id>")
@login_required
def show(visit_id):
    visit = load_or_404(Visit, visit_id)
    answers = visible_answers(visit, current_user)
    follow_ups = db.session.scalars(sa.select(VisitFollowUp).where(
        VisitFollowUp.visit_id == visit.id)).all()
    can_rate = may_rate(visit, current_user)
    postponed_from = db.session.scalar(sa.select(Visit).where(Visit.postponed_to_id == visit.id))
    round_record = round_record_of(visit) if visit.kind == "round" else None
    can_share = may_share_survey(visit, current_user)
    may_ask = may_add_questions(visit, current_user)
    lecture = (lecture_results(visit, answers) if visit.kind == "lecture" and (answers or may_ask)
               else None)
    return render_template("visits/show.html", v=visit, actions=visit_actions(visit, current_user),
                           lecture=lecture, may_add_questions=may_ask,
                           can_share_survey=can_share,
                           survey_link=existing_link(visit) if can_share else None,
                           when=jst_range(visit.starts_at, visit.ends_at),
                           warnings=visit_warnings(visit),
                           answers=answers, follow_ups=follow_ups, can_rate=can_rate,
                           postponed_from=postponed_from, kinds=VISIT_KINDS, states=VISIT_STATES,
                           round_record=round_record,
                           round_recordable=recordable_municipalities(visit, current_user,
                                                                      utcnow()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    permissions.require(current_user, "manage", "visit")
    sreq = engagement = None
    if request.args.get("request_id", type=int):
        sreq = db.session.get(SupportRequest, request.args.get("request_id", type=int))
        sreq = sreq or abort(404)
        permissions.require(current_user, "view", sreq)
    if request.args.get("engagement_id", type=int):
        engagement = db.session.get(Engagement, request.args.get("engagement_id", type=int))
        engagement = permissions.require(current_user, "manage", engagement or abort(404))
    form = VisitForm()
    form.municipality_ids.choices = _muni_choices()
    form.attendee_ids.choices = _people_choices()
    if not form.is_submitted():
        if sreq is not None:
            form.kind.data = "lecture" if sreq.kind == "lecture" else "accompaniment"
            form.title.data = sreq.title
            form.municipality_ids.data = sorted(sreq.scope_municipality_ids())
            form.venue.data = sreq.venue
        if engagement is not None:
            form.kind.data, form.title.data = "accompaniment", engagement.title
            form.municipality_ids.data = [engagement.municipality_id]
            form.attendee_ids.data = [u.id for u in engagement.experts]
    if form.validate_on_submit():
        munis = db.session.scalars(sa.select(Municipality).where(
            Municipality.id.in_(form.municipality_ids.data))).all()
        with service_call(form, refused=InvalidVisitTransition) as call:
            visit = create_visit(current_user, kind=form.kind.data, title=form.title.data,
                                 starts_at=_aware(form.starts_at.data),
                                 ends_at=_aware(form.ends_at.data), municipalities=munis,
                                 attendees=_users(form.attendee_ids.data), sreq=sreq,
                                 engagement=engagement, venue=form.venue.data,
                                 online_details=form.online_details.data,
                                 confirm=form.confirm_now.data)
        if call.ok:
            _flash_saved(visit)
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/form.html", form=form, sreq=sreq, engagement=engagement,
                           warnings=_typed_warnings(form))


def _typed_warnings(form):
    """Weekend/holiday flags for the dates typed into a form shown again."""
    start, end = form.starts_at.data, form.ends_at.data
    if start is None or end is None or end < start:
        return []
    return date_warnings(_aware(start), _aware(end))


@bp.get("/")
@login_required
def index():
    """Upcoming visits the user may see (a list beside the calendar grid)."""
    if permissions.scope_of(current_user, "view", "visit") is None:
        abort(404)
    stmt = sa.select(Visit).where(Visit.ends_at >= utcnow(),
                                  Visit.state.in_(("proposed", "confirmed")))
    rows = db.session.scalars(permissions.scope_visits(stmt, current_user)
                              .order_by(Visit.starts_at).limit(200)).all()
    return render_template("visits/index.html", rows=rows, kinds=VISIT_KINDS, states=VISIT_STATES)


def _flash_saved(visit):
    flash(_("訪問を確定しました。") if visit.state == "confirmed" else _("訪問の候補を登録しました。"),
          "success")
    for warning in visit_warnings(visit):
        flash(warning, "warning")


@bp.route("/schedule/<int:request_id>", methods=["GET", "POST"])
@login_required
def schedule(request_id):
    """Confirm a lecture at one of the municipality's candidate dates."""
    sreq = db.session.get(SupportRequest, request_id) or abort(404)
    permissions.require(current_user, "view", sreq)
    permissions.require(current_user, "manage", "visit")
    form = ScheduleForm()
    form.candidate_id.choices = choices((c.id, jst_range(c.starts_at, c.ends_at))
                                        for c in sreq.candidate_dates)
    form.attendee_ids.choices = _people_choices((Role.EXPERT,))
    if not form.is_submitted():
        form.venue.data = sreq.venue
    if form.validate_on_submit():
        candidate = next(c for c in sreq.candidate_dates if c.id == form.candidate_id.data)
        try:
            visit = schedule_from_candidate(sreq, candidate, current_user,
                                            attendees=_users(form.attendee_ids.data),
                                            venue=form.venue.data or None)
        except ValidationFailed as exc:
            db.session.rollback()
            exc.field = "candidate_id" if exc.field == "starts_at" else exc.field
            field_error(form, exc)
        except InvalidVisitTransition as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            _flash_saved(visit)
            return redirect(url_for("visits.show", visit_id=visit.id))
    options = candidate_options(sreq, _users(form.attendee_ids.data))
    return render_template("visits/schedule.html", form=form, sreq=sreq, options=options)


@bp.post("/<int:visit_id>/confirm")
@login_required
def confirm(visit_id):
    visit = load_or_404(Visit, visit_id, "manage")
    with service_call(refused=InvalidVisitTransition) as call:
        confirm_visit(visit, current_user)
    if call.ok:
        _flash_saved(visit)
    return redirect(url_for("visits.show", visit_id=visit_id))


@bp.route("/<int:visit_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(visit_id):
    visit = load_or_404(Visit, visit_id, "manage")
    form = ReasonForm()
    if form.validate_on_submit():
        with service_call(form, refused=InvalidVisitTransition) as call:
            cancel_visit(visit, current_user, form.reason.data)
        if call.refused:
            return redirect(url_for("visits.show", visit_id=visit_id))
        if call.ok:
            flash(_("訪問を中止しました。"), "success")
            return redirect(url_for("visits.show", visit_id=visit_id))
    return render_template("visits/cancel.html", form=form, v=visit)


@bp.route("/<int:visit_id>/postpone", methods=["GET", "POST"])
@login_required
def postpone(visit_id):
    visit = load_or_404(Visit, visit_id, "manage")
    form = PostponeForm()
    if form.validate_on_submit():
        with service_call(form, refused=InvalidVisitTransition) as call:
            new_visit = postpone_visit(visit, current_user, starts_at=_aware(form.starts_at.data),
                                       ends_at=_aware(form.ends_at.data), reason=form.reason.data)
        if call.refused:
            return redirect(url_for("visits.show", visit_id=visit_id))
        if call.ok:
            flash(_("訪問を延期しました。"), "success")
            for warning in visit_warnings(new_visit):
                flash(warning, "warning")
            return redirect(url_for("visits.show", visit_id=new_visit.id))
    return render_template("visits/postpone.html", form=form, v=visit,
                           warnings=_typed_warnings(form))


@bp.route("/<int:visit_id>/record", methods=["GET", "POST"])
@login_required
def record(visit_id):
    visit = load_or_404(Visit, visit_id, "record")
    if takes_round_record(visit):
        return _to_round_record(visit)
    form = RecordForm(obj=visit.record)
    if form.validate_on_submit():
        with service_call(form, refused=InvalidVisitTransition) as call:
            record_visit(visit, current_user, covered=form.covered.data, issues=form.issues.data,
                         follow_ups=form.follow_ups.data,
                         **{f: getattr(form, f).data or 0 for f in
                            ("attendees_executives", "attendees_business",
                             "attendees_information", "attendees_other")})
        if call.refused:
            return redirect(url_for("visits.show", visit_id=visit_id))
        if call.ok:
            flash(_("実施記録を保存しました。"), "success")
            return redirect(url_for("visits.show", visit_id=visit_id))
    return render_template("visits/record.html", form=form, v=visit)


def _to_round_record(visit):
    """A round visit is written up in its 巡回記録: send the user there (or back, saying why)."""
    rec = round_record_of(visit)
    if rec is not None and permissions.can(current_user, "view", rec):
        flash(_("定期巡回の記録は巡回記録に書きます。"), "info")
        return redirect(url_for("rounds.show", record_id=rec.id))
    munis = recordable_municipalities(visit, current_user, utcnow())
    if munis:
        flash(_("定期巡回の記録は巡回記録に書きます。"), "info")
        return redirect(url_for("rounds.record", code=munis[0].code, visit=visit.id))
    flash(_("定期巡回の訪問には実施記録ではなく巡回記録を書きます。"), "error")
    return redirect(url_for("visits.show", visit_id=visit.id))


@bp.route("/<int:visit_id>/follow-up", methods=["GET", "POST"])
@login_required
def follow_up(visit_id):
    visit = load_or_404(Visit, visit_id, "manage")
    form = FollowUpForm()
    if not form.is_submitted() and visit.record is not None:
        form.body.data = visit.record.follow_ups
    if form.validate_on_submit():
        with service_call(form) as call:
            if form.target.data == "engagement":
                eng = open_followup_engagement(visit, current_user, title=form.title.data,
                                               goal=form.body.data or "",
                                               cadence_days=form.cadence_days.data or 30,
                                               ends_on=form.ends_on.data)
                target = url_for("engagements.show", engagement_id=eng.id)
            else:
                sreq = open_followup_request(visit, current_user, kind=form.target.data,
                                             title=form.title.data, body=form.body.data or "")
                target = url_for("visits.show", visit_id=visit_id)
                flash(_("依頼 %(number)s を起票しました。", number=sreq.number), "success")
        if call.ok:
            flash(_("フォローアップを登録しました。"), "success")
            return redirect(target)
    return render_template("visits/follow_up.html", form=form, v=visit)


@bp.route("/<int:visit_id>/satisfaction", methods=["GET", "POST"])
@login_required
def satisfaction(visit_id):
    visit = load_or_404(Visit, visit_id, "rate")
    form = SatisfactionForm()
    values = request.form.to_dict(flat=False) if request.method == "POST" else {}
    errors = {}
    if form.validate_on_submit():
        with service_call(form) as call:
            try:
                submit_satisfaction(visit, current_user, rating=form.rating.data,
                                    comment=form.comment.data, values=values)
            except AnswersInvalid as exc:
                errors = exc.errors
                raise
        if call.ok:
            flash(_("ご回答ありがとうございました。"), "success")
            return redirect(url_for("visits.show", visit_id=visit_id))
    return render_template("visits/satisfaction.html", form=form, v=visit,
                           when=jst_range(visit.starts_at, visit.ends_at),
                           questions=lecture_questions(visit), values=values, errors=errors)


@bp.post("/<int:visit_id>/participant-link")
@login_required
def share_survey(visit_id):
    """The link the filer forwards to the lecture's participants (made once, then shown)."""
    visit = load_or_404(Visit, visit_id, "share_survey")
    with service_call() as call:
        # The days the link stays open: chosen on the visit page (the service checks them).
        participant_link(visit, current_user, days=request.form.get("days", type=int))
    if call.ok:
        flash(_("参加者用のアンケートのリンクを用意しました。参加者に転送してください。"), "success")
    return redirect(url_for("visits.show", visit_id=visit_id) + "#participant-survey")


def municipality_visits_section(m, user):
    """The municipality page's visit history: the latest visits the user may see."""
    from .history import visible_visits

    return {"template": "visits/_municipality_section.html",
            "visits": visible_visits(m, user)[:20],
            "kinds": VISIT_KINDS, "states": VISIT_STATES}
