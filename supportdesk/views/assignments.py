"""Expert assignment, request links and case introductions: POST endpoints behind the request
page's partials (templates/requests/_experts.html, _links.html, _case_intro.html) and the
expert's "my assignments" page."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from werkzeug.routing import BuildError

from .. import permissions
from ..extensions import db
from ..forms.library import AssignExpertsForm, IntroduceCaseForm, LinkForm, RespondAssignmentForm
from ..models import Case, ExpertAssignment, SupportRequest, User
from ..models.expert_assignment import ACTIVE_ASSIGNMENT_STATUSES
from ..services import DomainError, reference
from ..services.cases import case_options, record_case_introduction
from ..services.requests.experts import (reason_in_words, assign_experts, can_take_experts,
                                         my_assignments, remove_assignment, request_assignments,
                                         respond_assignment, suggest_experts)
from ..services.requests.links import LINK_KINDS, find_request, link_requests, mark_duplicate, visible_links
from .decorators import load_or_404, permission_required
from .service_call import service_call

bp = Blueprint("assignments", __name__)


def request_url(sreq):
    """The request page (req-core's requests.show); a plain path if that blueprint is absent."""
    try:
        return url_for("requests.show", request_id=sreq.id)
    except BuildError:
        return f"/requests/{sreq.id}"


@bp.app_template_global("request_link_url")
def _request_link_url(sreq):
    return request_url(sreq)


def _flash_errors(form):
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


@bp.app_template_filter("suggestion_reason")
def suggestion_reason(reason):
    return reason_in_words(reason)


def _viewer():
    # The real user, not the proxy: each attribute read through current_user costs a lookup.
    return current_user._get_current_object()


@bp.app_template_global()
def expert_panel(sreq):
    """What _experts.html shows: assignments, and for liaisons the ranked suggestions."""
    user = _viewer()
    can_assign = can_take_experts(sreq) and permissions.can(user, "assign", sreq)
    rows = request_assignments(sreq)
    if rows and not permissions.can(user, "view_internal", sreq):
        # The municipality sees who is coming, not who declined or why.
        rows = [a for a in rows if a.status in ACTIVE_ASSIGNMENT_STATUSES]
    return {"assignments": rows,
            "suggestions": suggest_experts(sreq) if can_assign else [],
            "can_assign": can_assign}


@bp.app_template_global()
def link_panel(sreq):
    """What _links.html shows: links to requests this viewer may see, and the link kinds."""
    user = _viewer()
    return {"links": visible_links(sreq, user), "kinds": LINK_KINDS,
            "can_link": permissions.can(user, "link", sreq)}


@bp.app_template_global()
def case_intro_panel(sreq):
    """What _case_intro.html shows: for liaisons, the case library's picker (its <option> tags
    escaped once per process and reference version: the library's labels are data, the same in
    every language)."""
    can_record = permissions.can(_viewer(), "record_support", sreq)
    return {"can_record": can_record,
            "case_options": reference.derived(("case_option_tags",), lambda: Markup("".join(
                f'<option value="{cid}">{escape(label)}</option>'
                for cid, label in case_options()))) if can_record else ""}


@bp.post("/requests/<int:request_id>/experts")
@login_required
def assign(request_id):
    sreq = load_or_404(SupportRequest, request_id, "assign")
    form = AssignExpertsForm()
    if form.validate_on_submit():
        experts = [db.session.get(User, i) for i in form.expert_ids.data]
        with service_call(refused=DomainError) as call:
            done = assign_experts(sreq, [e for e in experts if e is not None], current_user,
                                  note=form.note.data)
        if call.ok:
            flash(_("%(n)d名の人材に派遣を依頼しました。", n=len(done)), "success")
    else:
        _flash_errors(form)
    return redirect(request_url(sreq))


@bp.post("/requests/<int:request_id>/experts/<int:assignment_id>/remove")
@login_required
def remove(request_id, assignment_id):
    sreq = load_or_404(SupportRequest, request_id, "assign")
    assignment = db.get_or_404(ExpertAssignment, assignment_id)
    if assignment.request_id != sreq.id:
        abort(404)
    with service_call(refused=DomainError) as call:
        remove_assignment(assignment, current_user)
    if call.ok:
        flash(_("%(name)s さんを派遣人材から外しました。", name=assignment.expert.display_name),
              "success")
    return redirect(request_url(sreq))


@bp.post("/requests/<int:request_id>/links")
@login_required
def link(request_id):
    sreq = load_or_404(SupportRequest, request_id, "link")
    form = LinkForm()
    if form.validate_on_submit():
        target = find_request(form.target.data)
        with service_call(refused=DomainError) as call:
            if form.kind.data == "duplicate":
                mark_duplicate(sreq, target, current_user)
                message = _("重複として登録し、この依頼を閉じました。")
            else:
                link_requests(sreq, target, form.kind.data, current_user)
                message = _("依頼をリンクしました。")
        if call.ok:
            flash(message, "success")
    else:
        _flash_errors(form)
    return redirect(request_url(sreq))


@bp.post("/requests/<int:request_id>/cases")
@login_required
def introduce_case(request_id):
    sreq = load_or_404(SupportRequest, request_id, "record_support")
    form = IntroduceCaseForm()
    if form.validate_on_submit():
        case = db.session.get(Case, form.case_id.data)
        with service_call(refused=DomainError) as call:
            record_case_introduction(sreq, case, current_user, note=form.note.data)
        if call.ok:
            flash(_("事例紹介を記録しました。"), "success")
    else:
        _flash_errors(form)
    return redirect(request_url(sreq))


@bp.get("/experts/assignments")
@permission_required("respond", "expert_assignment")
def mine():
    rows = my_assignments(current_user)
    return render_template("assignments/mine.html", assignments=rows,
                           forms={a.id: RespondAssignmentForm(prefix=f"a{a.id}") for a in rows},
                           request_url=request_url)


@bp.post("/experts/assignments/<int:assignment_id>")
@login_required
def respond(assignment_id):
    assignment = db.get_or_404(ExpertAssignment, assignment_id)
    if assignment.expert_id != current_user.id:
        raise permissions.PermissionDenied("not this expert's assignment")
    form = RespondAssignmentForm(prefix=f"a{assignment.id}")
    if form.validate_on_submit():
        accept = form.decision.data == "accept"
        with service_call(form, refused=DomainError) as call:
            respond_assignment(assignment, current_user, accept=accept, reason=form.reason.data)
        if call.ok:
            flash(_("引き受けました。") if accept else _("辞退しました。"), "success")
            return redirect(url_for("assignments.mine"))
    rows = my_assignments(current_user)
    forms = {a.id: RespondAssignmentForm(prefix=f"a{a.id}", formdata=None) for a in rows}
    forms[assignment.id] = form
    return render_template("assignments/mine.html", assignments=rows, forms=forms,
                           request_url=request_url), 400
