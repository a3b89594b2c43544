"""The bell: the in-app notification list, read marks and the user's notification preferences."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms.notifications import NotificationPreferencesForm
from ..models import InAppNotification, NotificationPreference
from ..notifications.audiences import EVENT_LABELS
from ..links import local_path
from ..services.notification_settings import (PREF_CHANNELS, mark_read, save_preferences,
                                              unread_count)
from .decorators import permission_required

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE_SIZE = 50
CHANNEL_LABELS = {"inapp": _l("画面(ベル)"), "email": _l("メール")}


@bp.app_context_processor
def _bell():
    def bell_count(user=None):
        user = current_user if user is None else user  # the layout passes its context's user
        if not getattr(user, "is_authenticated", False):
            return 0
        return unread_count(user)

    return {"bell_count": bell_count, "local_link": local_path}


@bp.get("")
@permission_required("view", "notification")
def index():
    before = request.args.get("before", type=int)
    stmt = sa.select(InAppNotification).where(InAppNotification.user_id == current_user.id)
    if before:
        stmt = stmt.where(InAppNotification.id < before)
    rows = db.session.scalars(stmt.order_by(InAppNotification.id.desc()).limit(PAGE_SIZE + 1)).all()
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_url = url_for("notifications.index", before=rows[-1].id)
    return render_template("notifications/index.html", rows=rows, next_url=next_url,
                           form=NotificationPreferencesForm())


def _own(notification_id):
    n = db.session.get(InAppNotification, notification_id)
    if n is None or not permissions.can(current_user, "view", n):
        abort(404)
    return n


@bp.post("/<int:notification_id>/open")
@permission_required("view", "notification")
def open_(notification_id):
    n = _own(notification_id)
    mark_read(current_user, n.id)
    db.session.commit()
    return redirect(local_path(n.link) or url_for("notifications.index"))


@bp.post("/<int:notification_id>/read")
@permission_required("view", "notification")
def read(notification_id):
    n = _own(notification_id)
    mark_read(current_user, n.id)
    db.session.commit()
    return redirect(url_for("notifications.index"))


@bp.post("/read-all")
@permission_required("view", "notification")
def read_all():
    count = mark_read(current_user)
    db.session.commit()
    flash(_("%(count)d件を既読にしました。", count=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@permission_required("view", "notification")
def preferences():
    form = NotificationPreferencesForm()
    event_types = list(EVENT_LABELS)
    prefs = {(p.event_type, p.channel): p for p in db.session.scalars(
        sa.select(NotificationPreference).where(NotificationPreference.user_id == current_user.id))}
    if form.validate_on_submit():
        enabled = {tuple(v.split("|", 1)) for v in request.form.getlist("on") if "|" in v}
        save_preferences(current_user, enabled, form.digest.data, event_types)
        db.session.commit()
        flash(_("通知の設定を保存しました。"), "success")
        return redirect(url_for("notifications.preferences"))
    if not form.is_submitted():
        star = prefs.get(("*", "email"))
        form.digest.data = bool(star and star.digest)
    enabled = {key for key in ((e, c) for e in event_types for c in PREF_CHANNELS)
               if prefs.get(key) is None or prefs[key].enabled}
    return render_template("notifications/preferences.html", form=form, event_types=event_types,
                           labels=EVENT_LABELS, channels=PREF_CHANNELS,
                           channel_labels=CHANNEL_LABELS, enabled=enabled)
