"""Domain and HTTP errors mapped to responses, once: Japanese pages in the layout for the UI,
problem+json under /api/v1 (routed or not), and a 500 page with a reference id."""
import logging
from functools import wraps

from flask import render_template, request
from flask_login import current_user
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from ..errorref import new_reference
from ..extensions import db
from ..permissions import PermissionDenied
from ..problems import http_problem, is_api_request, server_error_problem
from ..services.audit import record_denied_access
from ..services.requests.filing import StaleEdit
from ..services.requests.transitions import InvalidTransition
from ..sqlite_tx import write_transaction

logger = logging.getLogger(__name__)

# The last resort when even the layout fails to render (the database is down, a template is
# broken): no template, no database, no translation catalogue.
FALLBACK_500 = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>エラーが発生しました | 市町DX支援デスク</title></head>
<body><h1>エラーが発生しました</h1>
<p>処理中に予期しないエラーが発生しました。ブラウザの「戻る」で前の画面に戻るか、
<a href="/">ホーム</a>からやり直してください。</p>
<p>解決しない場合は、参照番号 <strong>{ref}</strong> を添えて支援デスクへご連絡ください。</p>
<p lang="en">An unexpected error occurred. Go back or start again from the <a href="/">home page</a>;
if it persists, contact the support desk with the reference {ref}.</p>
</body></html>"""


def _api():
    return is_api_request()


def html_or_problem(handler):
    """The UI's handler, except under /api/v1, where every HTTP error is problem+json."""

    @wraps(handler)
    def wrapped(err):
        if _api():
            return http_problem(err)
        return handler(err)

    return wrapped


def register(app):
    @app.errorhandler(PermissionDenied)
    def _denied(err):
        # Never confirm that another municipality's object exists.
        with write_transaction():  # a GET's deferred read ends; the audit row begins IMMEDIATE
            record_denied_access(_actor(), err, ip=request.remote_addr, method=request.method,
                                 path=request.path)
        return render_template("errors/404.html"), 404

    @app.errorhandler(404)
    @html_or_problem
    def _not_found(err):
        return render_template("errors/404.html"), 404

    @app.errorhandler(403)
    @html_or_problem
    def _forbidden(err):
        return render_template("errors/403.html"), 403

    @app.errorhandler(400)
    @html_or_problem
    def _bad_request(err):
        return render_template("errors/400.html", description=getattr(err, "description", "")), 400

    @app.errorhandler(405)
    @html_or_problem
    def _method_not_allowed(err):
        return render_template("errors/405.html"), 405

    @app.errorhandler(InvalidTransition)
    def _invalid_transition(err):
        # Views that can redirect back catch it themselves and flash; this is the fallback.
        return render_template("errors/409.html", message=str(err)), 409

    @app.errorhandler(StaleEdit)
    def _stale_edit(err):
        return render_template("errors/409.html", message=str(err), changes=err.changes), 409

    @app.errorhandler(413)
    @html_or_problem
    def _too_large(err):
        return render_template("errors/413.html"), 413

    @app.errorhandler(HTTPException)
    @html_or_problem
    def _other_http(err):
        return err  # Werkzeug's own answer (login throttling and the like answer for themselves)

    @app.errorhandler(InternalServerError)
    def _server_error(err):
        return server_error(err)


def server_error(err):
    """Roll back, log the traceback with a reference id, and answer with that id."""
    reference = new_reference()
    try:
        db.session.rollback()
    except Exception:  # a dead connection: the log below still says what happened first
        logger.warning("Rollback failed while handling error %s", reference, exc_info=True)
    original = getattr(err, "original_exception", None) or err
    logger.error("Unhandled error %s on %s %s", reference, request.method, request.path,
                 exc_info=(type(original), original, original.__traceback__))
    if _api():
        return server_error_problem(reference)
    try:
        return render_template("errors/500.html", reference=reference, back=_back_url()), 500
    except Exception:
        logger.exception("The error page for %s could not be rendered", reference)
        return FALLBACK_500.format(ref=escape(reference)), 500, {
            "Content-Type": "text/html; charset=utf-8"}


def _back_url():
    """Where 戻る goes: the page the user came from, when it is one of ours."""
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else None


def _actor():
    return current_user._get_current_object() if current_user.is_authenticated else None
