"""Personal API tokens in the user's settings: create (shown once) and revoke."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms.tokens import TokenForm
from ..models import ApiToken
from ..services.accounts.api_tokens import create_token, revoke_token, tokens_of
from ..timeutil import utcnow
from .service_call import service_call

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        with service_call(form) as call:
            _token, created = create_token(current_user, name=form.name.data,
                                           scope=form.scope.data, days=form.days.data)
        if call.ok:
            form = TokenForm(formdata=None)
    return render_template("account/tokens.html", form=form, tokens=tokens_of(current_user),
                           created=created, now=utcnow())


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    revoke_token(token, current_user)
    db.session.commit()
    flash(_("トークンを失効させました。"), "success")
    return redirect(url_for("tokens.index"))
