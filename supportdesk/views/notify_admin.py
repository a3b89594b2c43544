"""Admin pages for notifications: failed deliveries with retry, chat rooms, the WHO_HEARS table."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms.notifications import ChatRoomForm, choices
from ..models import ChatRoom, Municipality, OutboxMessage, Region
from ..notifications.audiences import (AUDIENCE_LABELS, EVENT_LABELS, URGENT_EVENTS, WHO_HEARS,
                                       event_label)
from ..services.notification_settings import (delete_chat_room, failed_messages, retry_message,
                                             save_chat_room)
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("notify_admin", __name__, url_prefix="/admin")


@bp.get("/notifications/failed")
@permission_required("view", "outbox")
def failed():
    """Dead-lettered messages, and pending ones that have already failed at least once."""
    rows, counts = failed_messages()
    return render_template("notify_admin/failed.html", rows=rows, counts=counts)


@bp.post("/notifications/<int:message_id>/retry")
@permission_required("retry", "outbox")
def retry(message_id):
    msg = db.session.get(OutboxMessage, message_id) or abort(404)
    if retry_message(msg, current_user):
        db.session.commit()
        flash(_("再送を予約しました。"), "success")
    else:
        flash(_("このメッセージは再送できません。"), "error")
    return redirect(url_for("notify_admin.failed"))


@bp.get("/notifications/who-hears")
@permission_required("view", "admin_area")
def who_hears():
    rows = [(event, event_label(event), [AUDIENCE_LABELS[a] for a in audiences],
             event in URGENT_EVENTS, event in EVENT_LABELS) for event, audiences in WHO_HEARS.items()]
    return render_template("notify_admin/who_hears.html", rows=rows)


@bp.get("/chat-rooms")
@permission_required("manage", "chat_room")
def chat_rooms():
    rooms = db.session.scalars(sa.select(ChatRoom).order_by(ChatRoom.scope, ChatRoom.name)).all()
    return render_template("notify_admin/chat_rooms.html", rooms=rooms)


def _choices(form):
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    form.municipality_id.choices = choices([(0, "—")] + [(m.id, m.name) for m in munis])
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    form.region_id.choices = choices([(0, "—")] + [(r.id, r.name) for r in regions])


@bp.route("/chat-rooms/new", methods=["GET", "POST"])
@bp.route("/chat-rooms/<int:room_id>", methods=["GET", "POST"])
@permission_required("manage", "chat_room")
def chat_room_edit(room_id=None):
    room = (db.session.get(ChatRoom, room_id) or abort(404)) if room_id else None
    form = ChatRoomForm(obj=room)
    _choices(form)
    if not form.is_submitted() and room is not None:
        form.webhook_url.data = ""  # the stored URL is never sent back to the browser
        form.municipality_id.data = room.municipality_id or 0
        form.region_id.data = room.region_id or 0
    if form.validate_on_submit():
        with service_call(form) as call:
            room = save_chat_room(current_user, room, name=form.name.data, scope=form.scope.data,
                                  municipality_id=form.municipality_id.data or None,
                                  region_id=form.region_id.data or None,
                                  webhook_url=form.webhook_url.data, secret=form.secret.data,
                                  format=form.format.data, active=form.active.data)
        if call.ok:
            flash(_("チャットルームを保存しました。"), "success")
            return redirect(url_for("notify_admin.chat_rooms"))
    return render_template("notify_admin/chat_room_form.html", form=form, room=room)


@bp.post("/chat-rooms/<int:room_id>/delete")
@permission_required("manage", "chat_room")
def chat_room_delete(room_id):
    room = db.session.get(ChatRoom, room_id) or abort(404)
    delete_chat_room(current_user, room)
    db.session.commit()
    flash(_("チャットルームを削除しました(送信履歴があるルームは無効にしました)。"), "success")
    return redirect(url_for("notify_admin.chat_rooms"))
