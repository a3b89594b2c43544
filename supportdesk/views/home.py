"""The home page, which depends on the role."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..roles import Role

bp = Blueprint("home", __name__)

# Where each role lands after login (others get the home page below).
ROLE_HOME = {Role.MANAGER: "reports.dashboard", Role.LIAISON: "queue.index",
             Role.EXPERT: "assignments.mine"}


@bp.get("/")
@login_required
def index():
    target = ROLE_HOME.get(current_user.role)
    if target:
        return redirect(url_for(target))
    if current_user.role == Role.STAFF:
        return redirect(url_for("municipalities.show", code=current_user.municipality.code))
    return render_template("home/index.html")
