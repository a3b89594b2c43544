"""The caller's saved queue views over the API: list, save (or overwrite by name), delete; only
ever the caller's own, through the saved-view service."""
from flask import current_app
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import SavedView
from ..services.requests.saved_views import delete_view, list_views, save_view
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response, parse_body
from .schemas.saved_views import SavedViewIn, SavedViewOut


def _refuse_unless_allowed(user):
    if not permissions.can(user, "manage", "saved_view"):
        raise ApiError(403, _("この操作を行う権限がありません。"))


def view_out(v):
    return SavedViewOut(id=v.id, name=v.name, query=v.query, created_at=v.created_at)


@api_route(bp, "/saved-views", "GET", summary="The caller's saved queue views, by name",
           response=list[SavedViewOut], tag="saved views", errors=(401, 403, 429))
def list_saved_views():
    user = api_user()
    _refuse_unless_allowed(user)
    return json_response(dump([view_out(v) for v in list_views(user)]))


@api_route(bp, "/saved-views", "POST",
           summary="Save a queue view for the caller (an existing name is overwritten)",
           scope="write", body=SavedViewIn, response=SavedViewOut, tag="saved views",
           errors=(401, 403, 429))
def save_saved_view():
    body = parse_body(SavedViewIn)
    user = api_user()
    _refuse_unless_allowed(user)
    view = save_view(user, body.name, body.query)
    db.session.commit()
    return json_response(dump(view_out(view)))


@api_route(bp, "/saved-views/<int:view_id>", "DELETE", summary="Delete one of the caller's views",
           scope="write", status=204, tag="saved views", errors=(401, 403, 404, 429))
def delete_saved_view(view_id):
    user = api_user()
    _refuse_unless_allowed(user)
    delete_view(user, load_visible_view(view_id))
    db.session.commit()
    return current_app.response_class(status=204)


def load_visible_view(view_id):
    """Someone else's view is answered like a missing one (404)."""
    view = db.session.get(SavedView, view_id)
    if view is None or not permissions.can(api_user(), "manage", view):
        raise ApiError(404, _("見つかりません。"))
    return view
