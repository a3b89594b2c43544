"""Single sign-on: off to the identity provider, back from it, and the admin's provider pages."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import choices
from ..forms.sso import IdentityProviderForm, SsoRolesForm
from ..models import IdentityProvider, Municipality
from ..services.accounts import sso
from ..services.accounts.sso_admin import save_provider, set_required_roles
from ..services.accounts.sso_policy import required_roles
from ..sqlite_tx import write_transaction
from .auth import _safe_next, client_ip, log_in
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("sso", __name__)
PENDING_KEY = "sso_pending"


def _callback_url():
    return url_for("sso.callback", _external=True)


@bp.get("/sso/<int:provider_id>/login")
def start(provider_id):
    """A link, not a form: the page's CSP (form-action 'self') stops a form's redirect to
    another host, and starting a sign-in changes nothing until the provider answers."""
    provider = db.get_or_404(IdentityProvider, provider_id)
    if not provider.enabled:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    try:
        url, pending = sso.begin_login(provider, _callback_url())
    except sso.SsoFailed as exc:
        db.session.rollback()  # end the read transaction: the audit row takes a writing one
        with write_transaction():
            sso.record_start_failure(db.session.get(IdentityProvider, provider_id), exc,
                                     ip=client_ip())
            db.session.commit()
        flash(exc.message, "error")
        return redirect(url_for("auth.login"))
    pending["next"] = _safe_next(request.args.get("next"))
    session[PENDING_KEY] = pending  # signed cookie: the state, nonce and verifier come back here
    return redirect(url)


@bp.get("/sso/callback")
def callback():
    # Taken out at once: an answer is checked against its sign-in once, never twice.
    pending = session.pop(PENDING_KEY, None)
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    answer = sso.verify_answer(pending, request.args.to_dict(), _callback_url())
    # The provider was called in a read transaction; the writes (the login, or the refusal's
    # audit row) take a new one (IMMEDIATE on SQLite), held only while they are written.
    db.session.rollback()
    with write_transaction():
        result = sso.complete_login(answer, ip=client_ip())
        if result.user is not None:
            log_in(result.user, sso_provider=result.provider, sso_id_token=result.id_token)
        db.session.commit()
    if result.user is None:
        flash(result.error, "error")
        return redirect(url_for("auth.login"))
    return redirect((pending or {}).get("next") or url_for("home.index"))


# --- admin pages ---------------------------------------------------------------

def _provider_form(provider=None):
    form = IdentityProviderForm(obj=provider)
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    form.municipality_id.choices = choices(
        [(0, _("県(リエゾン・マネージャー・システム管理者)"))]
        + [(m.id, f"{m.name} ({m.code})") for m in munis])
    return form


def _admin_page(roles_form=None):
    providers = db.session.scalars(sa.select(IdentityProvider).order_by(
        IdentityProvider.municipality_id.is_not(None), IdentityProvider.id)).all()
    roles_form = roles_form or SsoRolesForm(roles=sorted(required_roles()))
    return render_template("admin/sso.html", providers=providers, roles_form=roles_form,
                           callback_url=_callback_url(),
                           logout_url=url_for("auth.login", _external=True))


@bp.get("/admin/sso")
@permission_required("manage", "identity_provider")
def index():
    return _admin_page()


@bp.post("/admin/sso/roles")
@permission_required("manage", "identity_provider")
def roles():
    form = SsoRolesForm()
    if form.validate():
        with service_call(form) as call:
            set_required_roles(current_user, form.roles.data)
        if call.ok:
            flash(_("シングルサインオンを必須にする役割を保存しました。"), "success")
            return redirect(url_for("sso.index"))
    return _admin_page(roles_form=form)


@bp.route("/admin/sso/new", methods=["GET", "POST"])
@bp.route("/admin/sso/<int:provider_id>", methods=["GET", "POST"])
@permission_required("manage", "identity_provider")
def edit(provider_id=None):
    provider = db.get_or_404(IdentityProvider, provider_id) if provider_id else None
    form = _provider_form(provider)
    if form.validate_on_submit():
        values = {k: getattr(form, k).data for k in (
            "name", "issuer", "client_id", "scopes", "email_claim", "name_claim",
            "municipality_id", "enabled", "create_users", "role_claim")}
        with service_call(form) as call:
            saved = save_provider(current_user, provider, client_secret=form.client_secret.data,
                                  **values)
        if call.ok:
            flash(_("IDプロバイダーを保存しました。"), "success")
            return redirect(url_for("sso.edit", provider_id=saved.id))
    return render_template("admin/sso_form.html", form=form, provider=provider,
                           callback_url=_callback_url(),
                           logout_url=url_for("auth.login", _external=True))
