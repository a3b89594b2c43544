"""The participants' satisfaction survey (no login): the secret token in the URL is the key."""
from flask import Blueprint, abort, current_app, make_response, render_template, request

from ..extensions import limiter
from ..forms.visits import SatisfactionForm
from ..services.surveys.answering import AnswersInvalid
from ..services.visits.lecture_survey import lecture_questions
from ..services.visits.lifecycle import jst_range
from ..services.visits.participant_survey import open_link, submit_participant_answer
from ..timeutil import utcnow
from .service_call import service_call

bp = Blueprint("participant_survey", __name__, url_prefix="/survey")


def _cookie(link):
    return f"survey_{link.id}"


def _rate_key():
    return f"survey:{request.remote_addr}:{request.view_args.get('token', '')}"


@bp.route("/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PARTICIPANT_SURVEY_RATE_LIMIT"], key_func=_rate_key,
               methods=["POST"])
def answer(token):
    link = open_link(token) or abort(404)
    visit = link.visit
    form = SatisfactionForm()
    values = request.form.to_dict(flat=False) if request.method == "POST" else {}
    page = {"v": visit, "when": jst_range(visit.starts_at, visit.ends_at),
            "questions": lecture_questions(visit), "values": values, "errors": {}}
    # One answer per browser: the answered mark is a courtesy; the rate limit and the
    # recorded number of participants bound what a script can add.
    if request.cookies.get(_cookie(link)):
        return render_template("participant_survey/thanks.html", already=True, **page)
    if form.validate_on_submit():
        with service_call(form) as call:
            try:
                submit_participant_answer(link, rating=form.rating.data,
                                          comment=form.comment.data, values=values)
            except AnswersInvalid as exc:
                page["errors"] = exc.errors
                raise
        if call.ok:
            resp = make_response(render_template("participant_survey/thanks.html",
                                                 already=False, **page))
            resp.set_cookie(_cookie(link), "1", max_age=int((link.expires_at - utcnow())
                                                            .total_seconds()),
                            path=request.path, httponly=True, samesite="Lax",
                            secure=request.is_secure)
            return resp
    status = 422 if form.errors or page["errors"] else 200
    return render_template("participant_survey/answer.html", form=form, **page), status
