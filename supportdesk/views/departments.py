"""A prefectural department's read-only page of the round findings shared with it: through
the tokenised link of its notices (departments have no accounts), or for prefecture users."""
from flask import Blueprint, abort, make_response, render_template
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..models import Department
from ..services.visits.round_departments import department_for_token, shared_with
from .decorators import permission_required

bp = Blueprint("departments", __name__, url_prefix="/departments")


def _page(department, *, by_link):
    resp = make_response(render_template("departments/shared.html", department=department,
                                         records=shared_with(department), by_link=by_link))
    # The token is the credential: keep the page out of caches and the link out of Referer.
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.get("/shared/<token>")
def shared(token):
    department = department_for_token(token)
    if department is None:
        abort(404)
    return _page(department, by_link=True)


@bp.get("/<int:department_id>")
@permission_required("view_shared", "department")
def show(department_id):
    department = db.get_or_404(Department, department_id)
    permissions.require(current_user, "view_shared", department)
    return _page(department, by_link=False)
