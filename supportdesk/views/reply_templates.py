"""定型文 (reply templates): the list and the form liaisons use to maintain them."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms.requests import ReplyTemplateForm
from ..models import ReplyTemplate
from ..services.requests.conversation import delete_reply_template, save_reply_template
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("reply_templates", __name__, url_prefix="/requests/templates")


@bp.get("/")
@permission_required("view", "reply_template")
def index():
    rows = db.session.scalars(sa.select(ReplyTemplate).order_by(
        ReplyTemplate.active.desc(), ReplyTemplate.title)).all()
    return render_template("requests/templates.html", rows=rows)


def _form_page(template):
    form = ReplyTemplateForm(obj=template)
    if form.validate_on_submit():
        with service_call(form) as call:
            saved = save_reply_template(current_user, title=form.title.data, body=form.body.data,
                                        active=form.active.data, template=template)
        if call.ok:
            flash(_("定型文「%(title)s」を保存しました。", title=saved.title), "success")
            return redirect(url_for("reply_templates.index"))
    return render_template("requests/template_form.html", form=form, template=template)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("manage", "reply_template")
def new():
    return _form_page(None)


@bp.route("/<int:template_id>/edit", methods=["GET", "POST"])
@permission_required("manage", "reply_template")
def edit(template_id):
    template = db.session.get(ReplyTemplate, template_id) or abort(404)
    return _form_page(template)


@bp.post("/<int:template_id>/delete")
@permission_required("manage", "reply_template")
def delete(template_id):
    template = db.session.get(ReplyTemplate, template_id) or abort(404)
    delete_reply_template(current_user, template)
    db.session.commit()
    flash(_("定型文「%(title)s」を使用停止にしました。", title=template.title), "success")
    return redirect(url_for("reply_templates.index"))
