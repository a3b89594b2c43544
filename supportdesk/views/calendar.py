"""The calendar (month and week grids of visits and planned rounds) and the personal
iCalendar feed."""
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import calendar_jp, permissions
from ..extensions import db
from ..i18n import N_
from ..links import external_url
from ..models import Region
from ..models.visit import VISIT_KINDS, VISIT_STATES
from ..services.visits.calendar_feed import (build_feed, current_feed_token, month_grid, parse_day,
                                      revoke_feed_token, rotate_feed_token,
                                      user_for_feed_token, visits_between, week_days)
from ..services.visits.lifecycle import attendee_candidates
from ..services.visits.round_plans import planned_between
from ..timeutil import JST, utcnow

bp = Blueprint("calendar", __name__, url_prefix="/calendar")
WEEKDAYS = (N_("月"), N_("火"), N_("水"), N_("木"), N_("金"), N_("土"), N_("日"))


@bp.get("/")
@login_required
def index():
    if not permissions.can(current_user, "view", "calendar"):
        abort(404)
    today = utcnow().astimezone(JST).date()
    view = "week" if request.args.get("view") == "week" else "month"
    day = parse_day(request.args.get("date"), today)
    staff = not permissions.can(current_user, "filter", "calendar")
    region_id = None if staff else request.args.get("region", type=int)
    person_id = None if staff else request.args.get("person", type=int)
    if view == "month":
        weeks = month_grid(day)
        prev_day = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
        next_day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    else:
        weeks = [week_days(day)]
        prev_day, next_day = day - timedelta(days=7), day + timedelta(days=7)
    visits = visits_between(current_user, weeks[0][0], weeks[-1][-1] + timedelta(days=1),
                            region_id=region_id, person_id=person_id)
    by_day = defaultdict(list)
    for v in visits:
        by_day[v.starts_at.astimezone(JST).date()].append(v)
    plans_by_day = defaultdict(list)
    for p in planned_between(current_user, weeks[0][0], weeks[-1][-1] + timedelta(days=1),
                             region_id=region_id):
        plans_by_day[p.planned_on].append(p)
    holidays = {d: calendar_jp.holiday_name(d) for week in weeks for d in week}
    regions = [] if staff else db.session.scalars(
        sa.select(Region).order_by(Region.sort_order)).all()
    people = [] if staff else attendee_candidates()
    return render_template("calendar/index.html", view=view, day=day, today=today, weeks=weeks,
                           by_day=by_day, plans_by_day=plans_by_day,
                           holidays=holidays, weekdays=WEEKDAYS,
                           prev_day=prev_day, next_day=next_day, regions=regions, people=people,
                           region_id=region_id, person_id=person_id, kinds=VISIT_KINDS,
                           states=VISIT_STATES, staff=staff)


@bp.get("/feed/<token>.ics")
def feed(token):
    # Public by design: calendar apps cannot log in; the secret token is the credential.
    user = user_for_feed_token(token)
    if user is None or not permissions.can(user, "feed", "calendar"):
        abort(404)
    body = build_feed(user)
    return Response(body, mimetype="text/calendar",
                    headers={"Cache-Control": "no-store", "Content-Disposition":
                             'inline; filename="supportdesk.ics"'})


@bp.route("/feed", methods=["GET", "POST"])
@login_required
def feed_settings():
    if not permissions.can(current_user, "feed", "calendar"):
        abort(404)
    feed_url = None
    if request.method == "POST":
        if request.form.get("op") == "revoke":
            revoke_feed_token(current_user)
            db.session.commit()
            flash(_("カレンダー配信URLを無効にしました。"), "success")
            return redirect(url_for("calendar.feed_settings"))
        token = rotate_feed_token(current_user)
        db.session.commit()
        # The clear token is shown once, on this response only (it is stored as a hash).
        feed_url = external_url("calendar.feed", current_user, token=token)
        flash(_("新しいカレンダー配信URLを発行しました。以前のURLは使えなくなりました。"), "success")
    return render_template("calendar/feed.html", active=current_feed_token(current_user),
                           feed_url=feed_url)
