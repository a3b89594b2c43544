"""Two-factor login: the code step after the password, the user's 2FA settings, the admin reset
and the gate that keeps users of a required role on the enrolment page."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms.auth import TotpCodeForm, TotpManageForm
from ..models import User
from ..services.accounts.mfa import (complete_mfa_login, disable_totp, enable_totp, grouped, must_enrol,
                            pending_secret, qr_svg, regenerate_recovery_codes,
                            reset_mfa_by_admin, unused_recovery_codes, user_for_pending_token)
from .auth import client_ip, log_in
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("mfa", __name__)

# What a user who must enrol may still reach (plus static files).
ENROL_ALLOWED = {"mfa.setup", "mfa.start", "auth.logout", "auth.set_language", "static", "health.healthz"}


@bp.before_app_request
def _require_enrolment():
    if request.endpoint in ENROL_ALLOWED or not current_user.is_authenticated:
        return None
    if must_enrol(current_user):
        if request.blueprint == "api":
            abort(403)
        flash(_("この役割では2段階認証が必須です。設定を完了してください。"), "info")
        return redirect(url_for("mfa.setup"))
    return None


@bp.route("/login/2fa", methods=["GET", "POST"])
def login_code():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    user = user_for_pending_token(session.get("mfa_pending"))
    if user is None:
        session.pop("mfa_pending", None)
        flash(_("もう一度ログインしてください。"), "info")
        return redirect(url_for("auth.login"))
    form = TotpCodeForm()
    error, status = None, 200
    if form.validate_on_submit():
        result = complete_mfa_login(user, form.code.data, ip=client_ip())
        if result.user is not None:
            target = session.get("mfa_next") or url_for("home.index")
            log_in(result.user)  # a fresh session id; the pending mark goes with the old one
            db.session.commit()
            return redirect(target)
        db.session.commit()  # keep the attempt and its audit row
        error = result.error
        status = 429 if result.locked or result.throttled else 200
    return render_template("auth/login_code.html", form=form, error=error), status


def _setup_page(codes=None, enrol_form=None, **forms):
    user = current_user._get_current_object()
    secret = None if user.has_totp else user.totp_secret
    return render_template(
        "account/mfa.html", user=user, codes=codes,
        secret=grouped(secret) if secret else None, qr=qr_svg(user, secret) if secret else None,
        enrol_form=enrol_form or TotpCodeForm(formdata=None),
        disable_form=forms.get("disable_form") or TotpManageForm(prefix="disable", formdata=None),
        regen_form=forms.get("regen_form") or TotpManageForm(prefix="regen", formdata=None),
        remaining=unused_recovery_codes(user) if user.has_totp else 0,
        required=must_enrol(user))


@bp.route("/account/2fa", methods=["GET", "POST"])
@login_required
def setup():
    form = TotpCodeForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            codes = enable_totp(current_user._get_current_object(), form.code.data)
        if call.ok:
            flash(_("2段階認証を有効にしました。"), "success")
            return _setup_page(codes=codes)
    return _setup_page(enrol_form=form)


@bp.post("/account/2fa/start")
@login_required
def start():
    # A POST: a GET changes nothing (tests/test_csrf.py). The secret stays until confirmed, so
    # reloading the page does not invalidate what the user already scanned.
    pending_secret(current_user._get_current_object())
    db.session.commit()
    return redirect(url_for("mfa.setup"))


@bp.post("/account/2fa/disable")
@login_required
def disable():
    form = TotpManageForm(prefix="disable")
    if form.validate_on_submit():
        with service_call(form) as call:
            disable_totp(current_user._get_current_object(), form.password.data, form.code.data)
        if call.ok:
            flash(_("2段階認証を無効にしました。"), "success")
            return redirect(url_for("mfa.setup"))
    return _setup_page(disable_form=form)


@bp.post("/account/2fa/recovery-codes")
@login_required
def recovery_codes():
    form = TotpManageForm(prefix="regen")
    if form.validate_on_submit():
        with service_call(form) as call:
            codes = regenerate_recovery_codes(current_user._get_current_object(),
                                              form.password.data, form.code.data)
        if call.ok:
            flash(_("リカバリーコードを作り直しました。以前のコードは使えません。"), "success")
            return _setup_page(codes=codes)
    return _setup_page(regen_form=form)


@bp.post("/admin/users/<int:user_id>/mfa-reset")
@permission_required("manage", "user")
def admin_reset(user_id):
    user = db.session.get(User, user_id) or abort(404)
    reset_mfa_by_admin(current_user, user)
    db.session.commit()
    flash(_("この利用者の2段階認証を解除しました。次回のログイン後に設定し直せます。"), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
