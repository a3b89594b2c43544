"""Requests: the intake, the forms (new, edit), the municipality's list and the request page."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from flask_login import current_user, login_required
from sqlalchemy.orm import defer, joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from .. import permissions
from ..extensions import db
from ..forms.requests import (FORMS, ActionForm, CommentForm,
                              SupportActionForm, WaitingForm)
from ..models import ReplyTemplate, SupportRequest, Theme
from ..models.support_request import (AUDIENCES, KIND_LABELS, LECTURE_FORMATS,
                                      request_co_municipalities, request_themes)
from ..models.visit import VISIT_KINDS, VISIT_STATES
from ..models.waiting import WAITING_LABELS
from ..services import ValidationFailed, catalogue, reference
from ..notifications.render import chat_copy_text
from ..services.mail_in import inbound_for_comments
from ..services.requests.attachments import (ALLOWED_LABEL, max_bytes, upload_probe,
                                   visible_attachments)
from ..services.cases import may_make_case
from ..services.visits.engagements import can_open_engagement
from ..services.requests.conversation import (active_reply_templates, fill_reply_template,
                                             following_column, timeline,
                                             visible_comments)
from ..services.requests.filing import (FIELD_LABELS, StaleEdit, can_edit, create_request,
                                       files_for_own_municipality, info_dept_share, may_push,
                                       parent_conditions, update_request)
from ..services.requests.transitions import allowed_actions
from ..services.requests.waiting import may_wait
from ..services.visits.lifecycle import can_schedule_lecture, visits_for_request
from ..template_helpers import theme_name
from ..timeutil import to_jst
from ..workflow import ACTION_LABELS, STATE_LABELS, TRANSITIONS, Action, State, transition_for
from .decorators import load_or_404, permission_required
from .service_call import field_error, save_failed, service_call

bp = Blueprint("requests", __name__, url_prefix="/requests")
PAGE_SIZE = 50


# What the request page shows of its request's neighbours, joined in the same statement
# (municipality, region, filer, assignee); the search text is not shown. Its themes and
# co-municipalities come as id lists in the same statement (page_neighbours), named from the
# reference cache: a selectinload of one request's collection cost ~0.7 ms of Python each, a
# lazy load a statement each, and a joined load makes SQLite materialise
# "(request_themes JOIN themes)" whole (140 ms at 100k requests).
PAGE_OPTIONS = (joinedload(SupportRequest.municipality), joinedload(SupportRequest.region),
                joinedload(SupportRequest.filer), joinedload(SupportRequest.assignee),
                defer(SupportRequest.search_text))


def _id_list(table, column):
    """The ids of `column` in `table` for the enclosing SupportRequest, as "3,7" (or NULL)."""
    return (sa.select(sa.func.aggregate_strings(sa.cast(column, sa.String), ","))
            .where(table.c.request_id == SupportRequest.id).correlate(SupportRequest)
            .scalar_subquery())


def _ids(text):
    return {int(i) for i in text.split(",")} if text else set()


def _page_themes(ids):
    """The request's themes in order, from the reference cache (a retired theme, which the
    cache does not hold, from its row)."""
    cached = [t for t in reference.themes() if t.id in ids]
    missing = ids - {t.id for t in cached}
    if missing:
        cached += db.session.scalars(sa.select(Theme).where(Theme.id.in_(missing))).all()
    return sorted(cached, key=lambda t: (t.sort_order, t.id))


def _page_request(request_id, user):
    """The request page's request with its neighbours, whether `user` follows it, and its
    themes and co-municipalities (reference rows, in their order), in one statement; 404 as
    load_request."""
    row = db.session.execute(
        sa.select(SupportRequest, following_column(user),
                  _id_list(request_themes, request_themes.c.theme_id),
                  _id_list(request_co_municipalities, request_co_municipalities.c.municipality_id))
        .options(*PAGE_OPTIONS).where(SupportRequest.id == request_id)).first()
    if row is None:
        abort(404)
    sreq, following, theme_ids, co_ids = row
    permissions.require(user, "view", sreq)
    co_ids = _ids(co_ids)
    return sreq, bool(following), _page_themes(_ids(theme_ids)), [
        m for m in reference.municipalities() if m.id in co_ids]


def load_request(request_id, action="view", options=()):
    """The request, or 404 (also for one the user may not see: existence never leaks)."""
    return load_or_404(SupportRequest, request_id, action, options=options)


def municipality_choices():
    return [SelectChoice(0, "—")] + [SelectChoice(m.id, m.name)
                                      for m in reference.municipalities()]


def _setup(form, kind, sreq=None):
    """Choices that come from the database."""
    form.theme_ids.choices = [SelectChoice(t.id, theme_name(t)) for t in reference.themes()]
    munis = reference.municipalities()
    form.municipality_id.choices = [SelectChoice(0, "—")] + [SelectChoice(m.id, m.name)
                                                               for m in munis]
    if sreq is not None or files_for_own_municipality(current_user):
        del form.municipality_id  # fixed: the user's own municipality, or the request's
    own_id = sreq.municipality_id if sreq else current_user.municipality_id
    if hasattr(form, "help_wanted"):
        form.help_wanted.choices = [SelectChoice(k, label) for k, label in catalogue.choices(
            catalogue.SUPPORT_KIND, keep=sreq.help_wanted if sreq else ())]
    if kind == "lecture":
        form.program.choices = [SelectChoice(k, label) for k, label in catalogue.choices(
            catalogue.LECTURE_MENU, keep=[sreq.program] if sreq else ())]
        form.co_municipality_ids.choices = [SelectChoice(m.id, m.name) for m in munis
                                           if m.id != own_id]
        if not may_push(current_user):
            del form.origin_push
    if kind == "accompaniment":
        stmt = permissions.scope_requests(
            sa.select(SupportRequest).where(*parent_conditions()), current_user)
        if own_id:
            stmt = stmt.where(SupportRequest.municipality_id == own_id)
        parents = db.session.scalars(stmt.order_by(SupportRequest.submitted_at.desc())
                                     .limit(200)).all()
        form.parent_id.choices = [SelectChoice(0, "—")] + [
            SelectChoice(p.id, f"{p.display_number} {p.municipality.name} {p.title}")
            for p in parents]


def _values(form, kind):
    values = dict(title=form.title.data, body=form.body.data, theme_ids=form.theme_ids.data or [])
    if kind in ("consultation", "accompaniment"):
        values.update(help_wanted=form.help_wanted.data or [], urgent=form.urgent.data,
                      needed_by=form.needed_by.data)
    if kind == "accompaniment":
        values["parent_id"] = form.parent_id.data or None
    if kind == "lecture":
        values.update(program=form.program.data, formats=form.formats.data or [],
                      audiences=form.audiences.data or [],
                      expected_participants=form.expected_participants.data,
                      candidate_dates=form.candidate_values(), venue=form.venue.data,
                      online=form.online.data,
                      co_municipality_ids=form.co_municipality_ids.data or [],
                      prework=form.prework.data)
    return values


def _uploads(form):
    files = [f for f in (form.attachments.data or []) if getattr(f, "filename", "")]
    prework = []
    if hasattr(form, "prework_files"):
        prework = [f for f in (form.prework_files.data or []) if getattr(f, "filename", "")]
    return dict(uploads=files, prework_uploads=prework)


def _render_form(form, kind, sreq=None, status=200, conflict=None):
    may_submit = sreq is None or transition_for(sreq.state, Action.SUBMIT) is not None
    return render_template("requests/form.html", form=form, kind=kind, sreq=sreq,
                           may_submit=may_submit,
                           kind_label=_(KIND_LABELS[kind]),
                           lecture_menus=catalogue.entries(catalogue.LECTURE_MENU, active_only=True),
                           allowed_types=ALLOWED_LABEL, max_mb=round(max_bytes() / 1048576, 1),
                           conflict=conflict), status


@bp.get("/new")
@permission_required("create", "request")
def intake():
    return render_template("requests/intake.html", kinds=KIND_LABELS,
                           support_kinds=[e.label() for e in catalogue.entries(
                               catalogue.SUPPORT_KIND, active_only=True)])


@bp.route("/new/<kind>", methods=["GET", "POST"])
@permission_required("create", "request")
def new(kind):
    if kind not in FORMS:
        abort(404)
    form = FORMS[kind]()
    _setup(form, kind)
    parent = request.args.get("parent", type=int)
    if request.method == "GET" and kind == "accompaniment" and parent:
        form.parent_id.data = parent
    form.submitting = "submit" in request.form
    if form.validate_on_submit():
        extra = {}
        if form.municipality_id is not None:
            extra["municipality_id"] = form.municipality_id.data or None
        if getattr(form, "origin_push", None) is not None and form.origin_push.data:
            extra["origin"] = "push"
        with service_call(form) as call:
            sreq = create_request(current_user, kind, submit=form.submitting, **extra,
                                  **_uploads(form), **_values(form, kind))
        if call.ok:
            if form.submitting:
                flash(_("%(number)s として受け付けました。担当リエゾンから連絡します。",
                        number=sreq.number), "success")
                share = info_dept_share(sreq)
                if share is not None and not share["reached"]:
                    flash(_("この市町には情報部門の職員もルームも登録されていないため、"
                            "情報部門には共有されていません。"), "warning")
            else:
                flash(_("下書きを保存しました。"), "success")
            return redirect(url_for("requests.show", request_id=sreq.id))
    return _render_form(form, kind)


def _fill(form, sreq):
    """Put the request's current values into an edit form (GET)."""
    form.title.data, form.body.data = sreq.title, sreq.body
    form.theme_ids.data = [t.id for t in sreq.themes]
    if hasattr(form, "help_wanted"):
        form.help_wanted.data = sreq.help_wanted or []
        form.urgent.data, form.needed_by.data = sreq.urgent, sreq.needed_by
    if hasattr(form, "parent_id"):
        form.parent_id.data = sreq.parent_id or 0
    if sreq.kind == "lecture":
        form.program.data = sreq.program
        form.formats.data, form.audiences.data = sreq.formats or [], sreq.audiences or []
        form.expected_participants.data = sreq.expected_participants
        form.venue.data, form.online.data = sreq.venue, sreq.online
        form.co_municipality_ids.data = [m.id for m in sreq.co_municipalities]
        form.prework.data = sreq.prework
        for entry, cand in zip(form.candidates.entries, sreq.candidate_dates):
            start, end = to_jst(cand.starts_at), to_jst(cand.ends_at)
            entry.form.day.data, entry.form.start.data = start.date(), start.time()
            entry.form.end.data = end.time()
    form.version.data = str(sreq.version)


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
@login_required
def edit(request_id):
    sreq = load_request(request_id, "edit")
    if not can_edit(sreq, current_user):
        flash(_("この依頼は現在の状態では編集できません。"), "error")
        return redirect(url_for("requests.show", request_id=sreq.id))
    form = FORMS[sreq.kind]()
    _setup(form, sreq.kind, sreq)
    if sreq.kind == "lecture":
        form.existing = {(c.starts_at.timestamp(), c.ends_at.timestamp())
                         for c in sreq.candidate_dates}
    if request.method == "GET":
        _fill(form, sreq)
    form.submitting = "submit" in request.form and sreq.state == State.DRAFT
    if form.validate_on_submit():
        try:
            update_request(sreq, current_user, version=form.version.data,
                           submit=form.submitting, **_uploads(form), **_values(form, sreq.kind))
        except StaleEdit as exc:
            db.session.rollback()
            # Keep what the user typed; a second save after reading the changes goes through.
            current = exc.current_version or db.session.get(SupportRequest, request_id).version
            form.version.data = str(current)
            form.version.raw_data = [form.version.data]
            return _render_form(form, sreq.kind, sreq, 409, conflict=exc)
        except ValidationFailed as exc:
            db.session.rollback()
            field_error(form, exc)
        except Exception:  # noqa: BLE001 (save_failed re-raises domain errors)
            save_failed()  # the form comes back with what was typed
        else:
            try:
                db.session.commit()
            except Exception:  # noqa: BLE001
                save_failed()
            else:
                flash(_("%(number)s を受け付けました。", number=sreq.number) if form.submitting
                      else _("保存しました。"), "success")
                return redirect(url_for("requests.show", request_id=sreq.id))
    return _render_form(form, sreq.kind, sreq)


@bp.get("/mine")
@permission_required("view", "own_municipality_requests")
def mine():
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = permissions.scope_requests(sa.select(SupportRequest), current_user)
    stmt = stmt.options(selectinload(SupportRequest.municipality)).order_by(
        SupportRequest.created_at.desc(), SupportRequest.id.desc())
    rows = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    next_url = url_for("requests.mine", page=page + 1) if len(rows) > PAGE_SIZE else None
    return render_template("requests/mine.html", rows=rows[:PAGE_SIZE], next_url=next_url,
                           kind_labels=KIND_LABELS, state_labels=STATE_LABELS)


def _fresh_fields(name, make_form, fields):
    """The HTML of an empty form's fields (labels, hints, the choices of the reference lists):
    the same for every viewer in one language, so rendered once per process, locale and
    reference version (services/reference.py `derived`: an admin's change shows at once). Only
    for forms the page shows empty: the request page's forms post elsewhere and redirect."""
    return reference.derived(("request_page_fields", name, str(get_locale())), lambda: Markup(
        render_template("requests/_fields.html", form=make_form(), fields=fields)))


def _support_form():
    form = SupportActionForm()
    form.target_municipality_id.choices = municipality_choices()
    return form


def _comment_fields(comment_form, internal_note):
    fields = [("body", None)] + ([("internal", None)] if internal_note else []) + [
        ("attachments", None)]
    if comment_form.body.data:  # a 定型文 chosen without script (?template=): not an empty form
        return Markup(render_template("requests/_fields.html", form=comment_form, fields=fields))
    return _fresh_fields("comment_internal" if internal_note else "comment", CommentForm, fields)


@bp.get("/<int:request_id>")
@login_required
def show(request_id):
    # The real user, not the proxy: the page asks the permission table some forty questions.
    user = current_user._get_current_object()
    sreq, following, themes, co_municipalities = _page_request(request_id, user)
    may = {action: permissions.can(user, action, sreq) for action in (
        "reply", "internal_note", "follow", "record_support", "view_internal")}
    may["create_request"] = permissions.can(user, "create", "request")
    comment_form = CommentForm()
    templates, chosen_template = [], None
    if (may["reply"] or may["internal_note"]) and permissions.can(user, "view", "reply_template"):
        templates = active_reply_templates()
        chosen = request.args.get("template", type=int)
        tpl = db.session.get(ReplyTemplate, chosen) if chosen else None
        if tpl is not None and tpl.active:
            comment_form.body.data = fill_reply_template(tpl.body, sreq)
            chosen_template = tpl.id
    support_fields = None
    if may["record_support"]:
        support_fields = _fresh_fields("support", _support_form, [
            ("kind", None),
            ("target_department", _("分野DXの場合は県関係課、窓口DX等の場合は先行市町を記録します。")),
            ("target_municipality_id", None), ("case_id", None), ("vendor_name", None),
            ("note", None)])
    actions = allowed_actions(sreq, user)
    waits = may_wait(sreq, user)
    sees_internal = may["view_internal"]
    comments = visible_comments(sreq, user, sees_internal=sees_internal)
    events = timeline(sreq, user, sees_internal=sees_internal)
    return render_template(
        "requests/show.html", sreq=sreq, kind_labels=KIND_LABELS, state_labels=STATE_LABELS,
        themes=themes, co_municipalities=co_municipalities,
        actions=[(a, _(ACTION_LABELS[a]), TRANSITIONS[(State(sreq.state), a)]) for a in actions],
        action_form=ActionForm(), comment_form=comment_form, may=may,
        comment_fields=(_comment_fields(comment_form, may["internal_note"])
                        if may["reply"] or may["internal_note"] else None),
        support_fields=support_fields,
        templates=templates, chosen_template=chosen_template,
        may_make_case=may_make_case(sreq, user),
        template_bodies={t.id: fill_reply_template(t.body, sreq) for t in templates},
        comments=comments, by_mail=inbound_for_comments([c.id for c in comments]),
        chat_copy=chat_copy_text(sreq=sreq),
        attachments=visible_attachments(sreq, user, sees_internal=sees_internal),
        events=events,
        can_edit=can_edit(sreq, user),
        following=following,
        sees_internal=sees_internal,
        can_upload=permissions.can(user, "upload", upload_probe(sreq)),
        field_labels=FIELD_LABELS, help_labels=catalogue.labels(catalogue.SUPPORT_KIND),
        program_labels=catalogue.labels(catalogue.LECTURE_MENU), format_labels=LECTURE_FORMATS,
        audience_labels=AUDIENCES,
        visits=visits_for_request(sreq, user), visit_kinds=VISIT_KINDS,
        visit_states=VISIT_STATES, can_schedule=can_schedule_lecture(sreq, user),
        can_engage=can_open_engagement(sreq, user), info_share=info_dept_share(sreq, events),
        may_wait=waits, waiting_form=WaitingForm() if waits and not sreq.waiting_for else None,
        waiting_labels={w.value: label for w, label in WAITING_LABELS.items()})


from . import request_work  # noqa: E402,F401  (adds the action routes to this blueprint)
