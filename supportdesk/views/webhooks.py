"""Admin pages for outgoing webhooks: list, create (secret shown once), edit, rotate, delete."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms.webhooks import WebhookForm
from ..models import WebhookSubscription
from ..notifications.subscriptions import delivery_log
from ..services import ValidationFailed
from ..notifications.webhook_signing import EVENT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER
from ..notifications.subscriptions import WEBHOOK_EVENTS
from ..services.webhooks import delete_webhook, mask_secret, rotate_webhook_secret, save_webhook
from .decorators import permission_required

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


def _load(subscription_id):
    sub = db.session.get(WebhookSubscription, subscription_id)
    if sub is None:
        abort(404)
    return sub


def _secret_page(sub, secret):
    """The only page that shows a secret in full; never cached."""
    resp = render_template("admin/webhook_secret.html", sub=sub, secret=secret,
                           headers=(SIGNATURE_HEADER, EVENT_HEADER, IDEMPOTENCY_HEADER))
    return resp, 200, {"Cache-Control": "no-store"}


@bp.get("/")
@permission_required("manage", "webhook")
def index():
    rows = db.session.scalars(db.select(WebhookSubscription).order_by(WebhookSubscription.id)).all()
    return render_template("admin/webhooks.html", subscriptions=rows, mask=mask_secret,
                           events=WEBHOOK_EVENTS)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:subscription_id>", methods=["GET", "POST"])
@permission_required("manage", "webhook")
def edit(subscription_id=None):
    sub = _load(subscription_id) if subscription_id else None
    form = WebhookForm(obj=sub)
    if form.validate_on_submit():
        try:
            saved = save_webhook(current_user, name=form.name.data, url=form.url.data,
                                 event_types=form.event_types.data, active=form.active.data,
                                 subscription=sub)
        except ValidationFailed as exc:
            db.session.rollback()
            getattr(form, exc.field).errors = list(getattr(form, exc.field).errors) + [str(exc)]
        else:
            db.session.commit()
            if sub is None:
                return _secret_page(saved, saved.secret)
            flash(_("Webhookを保存しました。"), "success")
            return redirect(url_for("webhooks.index"))
    return render_template("admin/webhook_form.html", form=form, sub=sub,
                           masked=mask_secret(sub.secret) if sub else None,
                           deliveries=delivery_log(sub) if sub else [])


@bp.post("/<int:subscription_id>/rotate")
@permission_required("manage", "webhook")
def rotate(subscription_id):
    sub = _load(subscription_id)
    secret = rotate_webhook_secret(current_user, sub)
    db.session.commit()
    return _secret_page(sub, secret)


@bp.post("/<int:subscription_id>/delete")
@permission_required("manage", "webhook")
def delete(subscription_id):
    delete_webhook(current_user, _load(subscription_id))
    db.session.commit()
    flash(_("Webhookを削除しました。"), "success")
    return redirect(url_for("webhooks.index"))
