"""Checks for views: login, a permission on a kind of object, and loading one object."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .. import permissions
from ..extensions import db


def permission_required(action, kind):
    """Refuse (403) unless the current user's role has `action` on `kind` at all."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not permissions.can(current_user, action, kind):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def inquiry_or_404(survey_id, action="view"):
    """A survey of kind inquiry (照会), as load_or_404 gives it; a lecture's satisfaction survey
    answers 404 here: it is reached through its lecture's page."""
    from ..models import Survey

    survey = load_or_404(Survey, survey_id, action)
    if survey.kind != "inquiry":
        abort(404)
    return survey


def load_or_404(model, obj_id, action="view", options=()):
    """The object, if the current user may view it and take `action` on it. 404 otherwise, also
    for another municipality's object (PermissionDenied answers 404: existence never leaks)."""
    obj = db.session.get(model, obj_id, options=options)
    if obj is None:
        abort(404)
    permissions.require(current_user, "view", obj)
    if action != "view":
        permissions.require(current_user, action, obj)
    return obj
