"""Domain errors mapped to responses, once."""
from flask import render_template, request
from flask_login import current_user

from ..permissions import PermissionDenied
from ..services.audit import record_denied_access
from ..services.request_filing import StaleEdit
from ..services.support_requests import InvalidTransition


def register(app):
    @app.errorhandler(PermissionDenied)
    def _denied(err):
        # Never confirm that another municipality's object exists.
        record_denied_access(_actor(), err, ip=request.remote_addr, method=request.method,
                             path=request.path)
        return render_template("errors/404.html"), 404

    @app.errorhandler(404)
    def _not_found(err):
        return render_template("errors/404.html"), 404

    @app.errorhandler(403)
    def _forbidden(err):
        return render_template("errors/403.html"), 403

    @app.errorhandler(400)
    def _bad_request(err):
        return render_template("errors/400.html", description=getattr(err, "description", "")), 400

    @app.errorhandler(InvalidTransition)
    def _invalid_transition(err):
        # Views that can redirect back catch it themselves and flash; this is the fallback.
        return render_template("errors/409.html", message=str(err)), 409

    @app.errorhandler(StaleEdit)
    def _stale_edit(err):
        return render_template("errors/409.html", message=str(err), changes=err.changes), 409

    @app.errorhandler(413)
    def _too_large(err):
        return render_template("errors/413.html"), 413


def _actor():
    return current_user._get_current_object() if current_user.is_authenticated else None
