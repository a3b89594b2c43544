"""Working a request: state actions, replies and notes, support actions, follow, attachments."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..extensions import db
from ..forms.requests import ActionForm, CommentForm, SupportActionForm, WaitingForm
from ..models import RequestAttachment
from ..services.requests.attachments import add_attachments, file_response
from ..services.requests.conversation import (add_comment, follow_request, record_support_action,
                                             unfollow_request)
from ..services.requests.filing import perform_action
from ..services.requests.transitions import InvalidTransition
from ..services.requests.waiting import WaitingEndReason, end_waiting, start_waiting
from ..workflow import Action, ACTION_LABELS
from .requests import bp, load_request, municipality_choices
from .service_call import service_call


def _back(sreq, anchor=""):
    return redirect(url_for("requests.show", request_id=sreq.id) + anchor)


@bp.post("/<int:request_id>/action/<action>")
@login_required
def act(request_id, action):
    sreq = load_request(request_id)
    try:
        action = Action(action)
    except ValueError:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("入力内容を確認してください。"), "error")
        return _back(sreq)
    with service_call(refused=InvalidTransition) as call:
        perform_action(sreq, action, current_user, reason=form.reason.data,
                       hold_until=form.hold_until.data)
    if not call.ok:
        return _back(sreq)
    flash(_("「%(action)s」を行いました。", action=_(ACTION_LABELS[action])), "success")
    return _back(sreq)


@bp.post("/<int:request_id>/waiting")
@login_required
def start_wait(request_id):
    sreq = load_request(request_id, "wait")
    form = WaitingForm()
    if not form.validate_on_submit():
        for error in form.waiting_for.errors + form.reason.errors:
            flash(error, "error")
        return _back(sreq)
    with service_call(refused=InvalidTransition) as call:
        start_waiting(sreq, current_user, form.waiting_for.data, reason=form.reason.data)
    if call.ok:
        flash(_("回答待ちにしました。その間、期限の計算を止めます。"), "success")
    return _back(sreq)


@bp.post("/<int:request_id>/waiting/end")
@login_required
def end_wait(request_id):
    sreq = load_request(request_id, "wait")
    if not ActionForm().validate_on_submit():
        flash(_("入力内容を確認してください。"), "error")
        return _back(sreq)
    with service_call(refused=InvalidTransition) as call:
        end_waiting(sreq, current_user, WaitingEndReason.MANUAL)
    if call.ok:
        flash(_("回答待ちを終えました。"), "success")
    return _back(sreq)


@bp.post("/<int:request_id>/comments")
@login_required
def comment(request_id):
    sreq = load_request(request_id)
    form = CommentForm()
    if not form.validate_on_submit():
        for error in form.body.errors:
            flash(error, "error")
        return _back(sreq, "#reply")
    internal = bool(form.internal.data)
    files = [f for f in (form.attachments.data or []) if getattr(f, "filename", "")]
    with service_call() as call:
        add_comment(sreq, current_user, form.body.data, internal=internal, uploads=files)
    if not call.ok:
        return _back(sreq, "#reply")
    flash(_("内部メモを追加しました。") if internal else _("返信を送りました。"), "success")
    return _back(sreq, "#conversation")


@bp.post("/<int:request_id>/support-actions")
@login_required
def support_action(request_id):
    sreq = load_request(request_id, "record_support")
    form = SupportActionForm()
    form.target_municipality_id.choices = municipality_choices()
    if not form.validate_on_submit():
        flash(_("入力内容を確認してください。"), "error")
        return _back(sreq, "#support")
    with service_call() as call:
        record_support_action(sreq, current_user, form.kind.data,
                              target_department=form.target_department.data,
                              target_municipality_id=form.target_municipality_id.data or None,
                              case_id=form.case_id.data, vendor_name=form.vendor_name.data,
                              note=form.note.data)
    if not call.ok:
        return _back(sreq, "#support")
    flash(_("支援の記録を追加しました。"), "success")
    return _back(sreq, "#history")


@bp.post("/<int:request_id>/follow")
@login_required
def follow(request_id):
    sreq = load_request(request_id)
    if request.form.get("follow") == "0":
        unfollow_request(sreq, current_user)
    else:
        follow_request(sreq, current_user)
    db.session.commit()
    return _back(sreq)


@bp.post("/<int:request_id>/attachments")
@login_required
def upload(request_id):
    sreq = load_request(request_id)
    files = [f for f in request.files.getlist("attachments") if f.filename]
    internal = request.form.get("internal") == "1"
    with service_call() as call:
        add_attachments(sreq, current_user, files, internal=internal)
    if not call.ok:
        return _back(sreq, "#attachments")
    flash(_("ファイルを添付しました。"), "success")
    return _back(sreq, "#attachments")


@bp.get("/<int:request_id>/attachments/<int:attachment_id>")
@login_required
def attachment(request_id, attachment_id):
    sreq = load_request(request_id)
    att = db.session.get(RequestAttachment, attachment_id)
    if att is None or att.request_id != sreq.id:
        abort(404)
    permissions.require(current_user, "view", att)
    if att.internal:
        permissions.require(current_user, "view_internal", sreq)
    return file_response(att)
