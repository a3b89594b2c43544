"""The home page, which depends on the role."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..roles import Role

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
