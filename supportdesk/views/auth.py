"""Login, logout, password change, self-service password reset and language choice."""
import logging

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..auth_loader import supported_locale
from ..extensions import db
from ..network_access import request_in_admin_zone
from ..forms.auth import ChangePasswordForm, ForgotPasswordForm, LoginForm, NewPasswordForm
from ..services import ValidationFailed
from ..services.audit import record_audit
from ..services.accounts.auth import authenticate, change_password, end_session, start_session
from ..services.accounts.mfa import make_pending_token
from ..services.accounts.sso import login_providers
from ..services.accounts.sso import logout_url as sso_logout_url
from ..services.accounts.password_reset import (InvalidResetLink, complete_password_reset,
                                       request_password_reset, user_for_reset_token)

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


def client_ip():
    return request.remote_addr


def _safe_next(target):
    # Browsers drop tabs and newlines inside URLs ("/\t/evil" becomes "//evil"): refuse any
    # control character or space, as well as "//host" and backslashes.
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        return target
    return url_for("home.index")


def fresh_session(**values):
    """Empty the cookie session (nothing carried over: fixation), keeping the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session.update(values)


def log_in(user, sso_provider=None, sso_id_token=None):
    fresh_session()
    start_session(user, ip=client_ip(), user_agent=request.user_agent.string,
                  sso_provider=sso_provider, sso_id_token=sso_id_token)
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        result = authenticate(form.email.data, form.password.data, ip=client_ip(),
                              admin_zone=request_in_admin_zone())
        if result.mfa_pending:
            # No logged-in session yet: only a signed, short-lived "password checked" mark.
            fresh_session(mfa_pending=make_pending_token(result.user),
                          mfa_next=_safe_next(request.args.get("next")))
            db.session.commit()
            return redirect(url_for("mfa.login_code"))
        if result.user is not None:
            log_in(result.user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        db.session.commit()  # keep the attempt and its audit row
        error = result.error
        status = 429 if result.locked or result.throttled else 200
    return render_template("auth/login.html", form=form, error=error,
                           providers=login_providers()), status


@bp.post("/logout")
@login_required
def logout():
    sess = current_user.current_session
    # A session from single sign-on also ends at its provider (RP-initiated logout), which
    # sends the browser back to the login page.
    provider_logout = sso_logout_url(sess, url_for("auth.login", _external=True))
    if sess is not None:
        end_session(sess, "logout")
    record_audit("logout", actor=current_user, ip=client_ip(),
                 **({"sso_provider": sess.sso_provider_id} if provider_logout else {}))
    db.session.commit()
    logout_user()
    session.clear()
    if provider_logout:
        # A page that moves on by itself, not a redirect: the CSP's form-action 'self' would
        # stop this form's redirect to the provider's host.
        return render_template("auth/logout_provider.html", url=provider_logout), 200, {
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    flash(_("ログアウトしました。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(user, form.current_password.data, form.new_password.data)
        except ValidationFailed as exc:
            db.session.rollback()
            field = form.current_password if exc.field == "current_password" else form.new_password
            field.errors.append(str(exc))
        else:
            session.clear()
            start_session(user, ip=client_ip(), user_agent=request.user_agent.string)
            login_user(user)
            db.session.commit()
            flash(_("パスワードを変更しました。他の端末のログインは終了しました。"), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        result = request_password_reset(form.email.data, ip=client_ip())
        db.session.commit()  # the request row, the audit row and the outbox row together
        if result.throttled:
            return render_template("auth/forgot.html", form=form, error=result.error), 429
        # The same answer for a known, unknown or inactive address.
        flash(_("入力されたメールアドレスが登録されている場合は、パスワード再設定用のリンクを"
                "お送りしました。メールをご確認ください。"), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form, error=None)


# The token is in the URL of these pages: no Referer carries it anywhere, not even to our own
# pages (and their access logs).
NO_REFERRER = {"Referrer-Policy": "no-referrer"}


def _invalid_link():
    return render_template("auth/reset_invalid.html"), 404, NO_REFERRER


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    if user_for_reset_token(token) is None:
        return _invalid_link()
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            complete_password_reset(token, form.new_password.data, ip=client_ip())
        except InvalidResetLink:
            db.session.rollback()
            return _invalid_link()
        except ValidationFailed as exc:
            db.session.rollback()
            form.new_password.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("パスワードを再設定しました。新しいパスワードでログインしてください。"), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 200, NO_REFERRER


@bp.post("/language/<lang>")
def set_language(lang):
    lang = supported_locale(lang)
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")))
