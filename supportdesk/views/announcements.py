"""Push information (プッシュ型情報提供): compose and track (liaisons, admins), archive (municipal staff)."""
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..workflows.contacts import ROLE_LABELS as CONTACT_ROLE_LABELS
from ..forms.notifications import AnnouncementForm, choices
from ..models import Announcement, AnnouncementAttachment, Municipality, Region
from ..models.announcement import ANNOUNCEMENT_STATES, DEPARTMENT_CHOICES
from ..notifications.render import chat_copy_text
from ..services.announcements import (announcements_received, archive_for, cancel_announcement,
                                      compose_announcement, delivery_report,
                                      mark_announcement_read, staff_band_gap_message,
                                      unregistered_staff_band_count)
from ..services.requests.attachments import ALLOWED_LABEL, file_response, max_bytes
from ..sqlite_tx import writes_on_get
from ..timeutil import JST
from ..workflows.announcements import AnnouncementStatus
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("announcements", __name__, url_prefix="/announcements")


@bp.get("")
@permission_required("view", "announcement")
def index():
    if permissions.can(current_user, "track", "announcement"):
        rows = db.session.scalars(sa.select(Announcement).options(
            selectinload(Announcement.attachments)).order_by(
            Announcement.id.desc()).limit(200)).all()
    else:
        rows = archive_for(current_user)
    return render_template("announcements/index.html", rows=rows, states=ANNOUNCEMENT_STATES)


def _choices(form):
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    form.region_ids.choices = choices((r.id, r.name) for r in regions)
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    form.municipality_ids.choices = choices((m.id, m.name) for m in munis)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("create", "announcement")
def new():
    form = AnnouncementForm()
    _choices(form)
    if form.validate_on_submit():
        scheduled_at = None
        if form.send_mode.data == "scheduled":
            if form.scheduled_at.data is None:
                form.scheduled_at.errors = [_("送信日時を入力してください。")]
                return _render_form(form)
            scheduled_at = form.scheduled_at.data.replace(tzinfo=JST)  # typed in Tokyo time
        with service_call(form) as call:
            a = compose_announcement(
                current_user, title=form.title.data, body=form.body.data,
                category=form.category.data, links=(form.links.data or "").splitlines(),
                target_all=form.target_all.data, region_ids=form.region_ids.data or [],
                population_bands=form.population_bands.data or [],
                dx_staff_bands=form.dx_staff_bands.data or [],
                municipality_ids=form.municipality_ids.data or [],
                departments=form.departments.data, scheduled_at=scheduled_at,
                contact_roles=form.contact_roles.data or [],
                uploads=[f for f in (form.attachments.data or []) if getattr(f, "filename", "")])
        if call.ok:
            flash(_("お知らせを送信しました。") if a.status == AnnouncementStatus.SENT
                  else _("お知らせの送信を予約しました。"), "success")
            gap = staff_band_gap_message(a)
            if gap:
                flash(gap, "warning")
            return redirect(url_for("announcements.show", announcement_id=a.id))
    return _render_form(form)


def _render_form(form):
    return render_template("announcements/form.html", form=form, allowed_types=ALLOWED_LABEL,
                           max_mb=round(max_bytes() / 1048576, 1),
                           unregistered_bands=unregistered_staff_band_count())


@bp.get("/<int:announcement_id>")
@permission_required("view", "announcement")
@writes_on_get  # the first view records that the user read it
def show(announcement_id):
    a = db.session.get(Announcement, announcement_id)
    if a is None or not permissions.can(current_user, "view", a):
        abort(404)
    if mark_announcement_read(a, current_user):
        db.session.commit()
    report = delivery_report(a) if permissions.can(current_user, "track", a) else None
    return render_template("announcements/show.html", a=a, report=report,
                           states=ANNOUNCEMENT_STATES, departments=DEPARTMENT_CHOICES,
                           contact_roles=CONTACT_ROLE_LABELS, now=datetime.now(JST),
                           chat_copy=chat_copy_text(announcement=a))


@bp.get("/<int:announcement_id>/attachments/<int:attachment_id>")
@login_required
def attachment(announcement_id, attachment_id):
    att = db.session.get(AnnouncementAttachment, attachment_id)
    # Anyone who may not read the announcement gets 404, whatever their role: existence never leaks.
    if att is None or att.announcement_id != announcement_id:
        abort(404)
    permissions.require(current_user, "view", att)
    return file_response(att)


@bp.post("/<int:announcement_id>/cancel")
@permission_required("manage", "announcement")
def cancel(announcement_id):
    a = db.session.get(Announcement, announcement_id) or abort(404)
    with service_call() as call:
        cancel_announcement(a, current_user)
    if call.ok:
        flash(_("送信予約を取り消しました。"), "success")
    return redirect(url_for("announcements.show", announcement_id=a.id))


def municipality_announcements_section(m, user):
    """The municipality page's お知らせ: the announcements it received, newest first."""
    if permissions.scope_of(user, "view", "announcement") is None:
        return None
    return {"template": "announcements/_municipality_section.html",
            "announcements": announcements_received(m.id, limit=50)}
