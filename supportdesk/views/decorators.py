"""Coarse checks for views: login and a permission on a kind of object."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .. import permissions


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
