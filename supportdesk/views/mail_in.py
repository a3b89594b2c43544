"""Mail that reached the desk: held mail from unknown senders, counts, and the originals."""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..extensions import db
from ..models import InboundMail
from ..models.inbound_mail import OUTCOME_LABELS, REASON_LABELS
from ..services.mail_in import dismiss_held, held_mails, outcome_counts
from ..services.requests.attachments import upload_folder
from ..timeutil import utcnow
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("mail_in", __name__, url_prefix="/mail")


@bp.get("/inbound")
@permission_required("view", "inbound_mail")
def index():
    since = utcnow() - timedelta(days=30)
    return render_template("mail_in/index.html", held=held_mails(), counts=outcome_counts(since),
                           outcome_labels=OUTCOME_LABELS, reason_labels=REASON_LABELS)


@bp.get("/inbound/<int:mail_id>")
@permission_required("view", "inbound_mail")
def show(mail_id):
    row = db.get_or_404(InboundMail, mail_id)
    permissions.require(current_user, "view", row)
    return render_template("mail_in/show.html", mail=row, outcome_labels=OUTCOME_LABELS,
                           reason_labels=REASON_LABELS)


@bp.post("/inbound/<int:mail_id>/dismiss")
@permission_required("review", "inbound_mail")
def dismiss(mail_id):
    row = db.get_or_404(InboundMail, mail_id)
    with service_call() as call:
        dismiss_held(row, current_user)
    if call.ok:
        flash(_("確認済みにしました。"), "success")
    return redirect(url_for("mail_in.index"))


@bp.get("/inbound/<int:mail_id>/original.eml")
@login_required
def original(mail_id):
    """The message as it arrived: read like an internal note of its request, or (held mail)
    by the liaisons who look at held mail."""
    row = db.get_or_404(InboundMail, mail_id)
    if row.sreq is not None:
        permissions.require(current_user, "view_internal", row.sreq)
    else:
        permissions.require(current_user, "view", row)
    if not row.stored_name:
        abort(404)
    import os

    return send_file(os.path.join(upload_folder(), row.stored_name), mimetype="message/rfc822",
                     as_attachment=True, download_name=f"mail-{row.id}.eml")
