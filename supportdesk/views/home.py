"""The home page, which depends on the role."""
from flask import Blueprint, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..roles import Role
from ..services.desk import accent_colour

bp = Blueprint("home", __name__)

# Where each role lands after login (others, the admin, get the home page below).
ROLE_HOME = {
    Role.MANAGER: lambda user: url_for("reports.dashboard"),
    Role.LIAISON: lambda user: url_for("queue.index"),
    Role.EXPERT: lambda user: url_for("assignments.mine"),
    Role.STAFF: lambda user: url_for("municipalities.show", code=user.municipality.code),
}


@bp.get("/")
@login_required
def index():
    target = ROLE_HOME.get(current_user.role)
    if target:
        return redirect(target(current_user))
    return render_template("home/index.html")


@bp.get("/desk.css")
def desk_css():
    """The desk's colour (its pack's, then its admin's) as the pages' accent: a stylesheet of
    its own, as the pages' CSP allows no inline style. Its URL carries the colour, so a change
    is fetched at once and the file itself can be cached."""
    resp = make_response(f":root {{ --accent:{accent_colour()}; }}\n")
    resp.mimetype = "text/css"
    resp.cache_control.public = True
    resp.cache_control.max_age = 86400
    return resp
