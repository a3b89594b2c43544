"""Meetings and forums (会議・フォーラム): series, their meetings, the invitees' answers, the
attendance, the minutes and the action items; the municipality page's section."""
from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..forms.meetings import (AnswerForm, ButtonForm, CloseItemForm, ItemForm, MeetingForm,
                              MinutesForm, SeriesForm)
from ..forms.notifications import choices
from ..models import Meeting, MeetingActionItem, MeetingInvitation, MeetingSeries
from ..services.meetings import answers, choices as lists, items, meetings, participation, series
from ..services.requests.attachments import file_response
from ..timeutil import JST, fiscal_year, utcnow
from ..workflows.contacts import ROLE_LABELS as CONTACT_ROLE_LABELS
from ..workflows.meetings import (ACTION_LABELS, ANSWER_LABELS, ITEM_KIND_LABELS,
                                  ITEM_STATUS_LABELS, OWNER_LABELS, SERIES_KIND_LABELS,
                                  STATUS_LABELS, Answer, ItemStatus, MeetingAction,
                                  MeetingStatus, allowed_meeting_actions)
from .decorators import load_or_404, permission_required
from .service_call import service_call

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
LABELS = dict(kinds=SERIES_KIND_LABELS, states=STATUS_LABELS, answers=ANSWER_LABELS,
              item_kinds=ITEM_KIND_LABELS, item_states=ITEM_STATUS_LABELS, owners=OWNER_LABELS,
              roles=CONTACT_ROLE_LABELS, actions=ACTION_LABELS, Answer=Answer,
              ItemStatus=ItemStatus, MeetingStatus=MeetingStatus, MeetingAction=MeetingAction)


def _fy_arg():
    fy = request.args.get("fy", type=int)
    return fy if fy and 2000 <= fy <= 2100 else fiscal_year(utcnow())


@bp.get("")
@permission_required("view", "meeting")
def index():
    return render_template("meetings/index.html", series=series.series_for(current_user),
                           meetings=meetings.meetings_for(current_user), now=utcnow(), **LABELS)


# --- series -------------------------------------------------------------------------------

def _series_choices(form):
    form.member_municipality_ids.choices = choices(lists.municipality_choices())
    form.member_contact_ids.choices = choices(lists.contact_choices())
    form.member_user_ids.choices = choices(lists.people_choices())


def _series_fields(form):
    return dict(kind=form.kind.data, title=form.title.data, theme=form.theme.data,
                description=form.description.data, member_roles=form.member_roles.data or [],
                member_info_dept=form.member_info_dept.data,
                member_municipality_ids=form.member_municipality_ids.data or [],
                member_contact_ids=form.member_contact_ids.data or [],
                member_user_ids=form.member_user_ids.data or [])


@bp.route("/series/new", methods=["GET", "POST"])
@permission_required("manage", "meeting_series")
def new_series():
    form = SeriesForm()
    _series_choices(form)
    if form.validate_on_submit():
        with service_call(form) as call:
            s = series.create_series(current_user, **_series_fields(form))
        if call.ok:
            flash(_("会議のシリーズを作成しました。"), "success")
            return redirect(url_for("meetings.show_series", series_id=s.id))
    return render_template("meetings/series_form.html", form=form, s=None)


@bp.route("/series/<int:series_id>/edit", methods=["GET", "POST"])
@permission_required("manage", "meeting_series")
def edit_series(series_id):
    s = load_or_404(MeetingSeries, series_id, "manage")
    form = SeriesForm(obj=s)
    _series_choices(form)
    if not form.is_submitted():
        for name in ("member_roles", "member_municipality_ids", "member_contact_ids",
                     "member_user_ids"):
            getattr(form, name).data = getattr(s, name) or []
    if form.validate_on_submit():
        with service_call(form) as call:
            series.update_series(s, current_user, **_series_fields(form))
        if call.ok:
            flash(_("シリーズを保存しました。"), "success")
            return redirect(url_for("meetings.show_series", series_id=s.id))
    return render_template("meetings/series_form.html", form=form, s=s)


@bp.get("/series/<int:series_id>")
@permission_required("view", "meeting_series")
def show_series(series_id):
    s = load_or_404(MeetingSeries, series_id)
    fy = _fy_arg()
    return render_template("meetings/series.html", s=s, fy=fy,
                           held=participation.held_count(s, fy),
                           rows=participation.series_participation(s, fy),
                           members=series.members_of(s, utcnow().astimezone(JST).date()),
                           **LABELS)


# --- a meeting ----------------------------------------------------------------------------

def _aware(value):
    return value.replace(tzinfo=JST) if isinstance(value, datetime) and value.tzinfo is None \
        else value


def _details(form):
    return dict(title=form.title.data, starts_at=_aware(form.starts_at.data),
                ends_at=_aware(form.ends_at.data), venue=form.venue.data,
                online_url=form.online_url.data, agenda=form.agenda.data,
                answer_deadline=form.answer_deadline.data, reminder_days=form.reminder_days.data,
                uploads=[f for f in (form.materials.data or []) if getattr(f, "filename", "")])


@bp.route("/series/<int:series_id>/meetings/new", methods=["GET", "POST"])
@permission_required("manage", "meeting")
def new_meeting(series_id):
    s = load_or_404(MeetingSeries, series_id, "manage")
    form = MeetingForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            m = meetings.create_meeting(s, current_user, **_details(form))
        if call.ok:
            flash(_("会議を作成しました。内容を確認して案内を送ってください。"), "success")
            return redirect(url_for("meetings.show", meeting_id=m.id))
    return render_template("meetings/meeting_form.html", form=form, s=s, m=None)


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@permission_required("manage", "meeting")
def edit(meeting_id):
    m = load_or_404(Meeting, meeting_id, "manage")
    form = MeetingForm(obj=m)
    if not form.is_submitted():
        form.starts_at.data = m.starts_at.astimezone(JST).replace(tzinfo=None)
        form.ends_at.data = m.ends_at.astimezone(JST).replace(tzinfo=None)
    if form.validate_on_submit():
        with service_call(form) as call:
            meetings.update_meeting(m, current_user, **_details(form))
        if call.ok:
            flash(_("会議を保存しました。"), "success")
            return redirect(url_for("meetings.show", meeting_id=m.id))
    return render_template("meetings/meeting_form.html", form=form, s=m.series, m=m)


def _item_form(form=None):
    form = form or ItemForm(formdata=None)
    form.owner_municipality_id.choices = choices([(0, "")] + lists.municipality_choices())
    form.owner_department_id.choices = choices([(0, "")] + lists.department_choices())
    form.owner_user_id.choices = choices([(0, "")] + lists.people_choices())
    return form


def _render_show(m, *, answer_forms=None, item_form=None, minutes_form=None, close_forms=None,
                 status=200):
    user = current_user
    manages = permissions.can(user, "manage", m)
    tracks = permissions.can(user, "track", m)
    mine = answers.my_invitations(m, user) if m.status == MeetingStatus.INVITED else []
    answer_forms = answer_forms or {}
    for inv in mine:
        if inv.id not in answer_forms:
            answer_forms[inv.id] = AnswerForm(formdata=None, prefix=f"a{inv.id}",
                                              answer=inv.answer,
                                              substitute_name=inv.substitute_name,
                                              note=inv.answer_note)
    meeting_items = items.items_of(m, user)
    close_forms = close_forms or {}
    for it in meeting_items:
        if it.id not in close_forms and it.status == ItemStatus.OPEN \
                and permissions.may_close_action_item(user, it):
            close_forms[it.id] = CloseItemForm(formdata=None, prefix=f"c{it.id}")
    groups = answers.answers_by_municipality(m, user)
    return render_template(
        "meetings/show.html", m=m, groups=groups, manages=manages, tracks=tracks,
        counts=answers.answer_counts([i for _m, invs in groups for i in invs]),
        nobody=answers.nobody_coming(m) if tracks and m.status != MeetingStatus.PLANNED else [],
        mine=mine, answer_forms=answer_forms, items=meeting_items, close_forms=close_forms,
        may_read_minutes=permissions.may_read_minutes(user, m),
        item_form=_item_form(item_form) if manages else None,
        minutes_form=minutes_form or (MinutesForm(formdata=None, minutes=m.minutes,
                                                  internal=m.minutes_internal)
                                      if manages else None),
        button=ButtonForm(), today=utcnow().astimezone(JST).date(),
        editable=m.status in (MeetingStatus.PLANNED, MeetingStatus.INVITED),
        records=m.status in (MeetingStatus.INVITED, MeetingStatus.HELD),
        allowed=allowed_meeting_actions(m.status, user.role) if manages else [],
        **LABELS), status


@bp.get("/<int:meeting_id>")
@permission_required("view", "meeting")
def show(meeting_id):
    return _render_show(load_or_404(Meeting, meeting_id))


def _transition(meeting_id, fn, done):
    m = load_or_404(Meeting, meeting_id, "manage")
    if ButtonForm().validate_on_submit():
        with service_call() as call:
            fn(m, current_user)
        if call.ok:
            flash(done, "success")
    return redirect(url_for("meetings.show", meeting_id=m.id))


@bp.post("/<int:meeting_id>/invite")
@permission_required("manage", "meeting")
def invite(meeting_id):
    return _transition(meeting_id, meetings.invite, _("案内を送りました。"))


@bp.post("/<int:meeting_id>/cancel")
@permission_required("manage", "meeting")
def cancel(meeting_id):
    return _transition(meeting_id, meetings.cancel_meeting, _("会議を中止しました。"))


@bp.post("/<int:meeting_id>/invitations/<int:invitation_id>/answer")
@permission_required("view", "meeting")
def answer(meeting_id, invitation_id):
    m = load_or_404(Meeting, meeting_id)
    inv = db.session.get(MeetingInvitation, invitation_id)
    if inv is None or inv.meeting_id != m.id:
        abort(404)
    permissions.require(current_user, "view", inv)
    form = AnswerForm(prefix=f"a{inv.id}")
    if form.validate_on_submit():
        with service_call(form) as call:
            answers.answer_invitation(inv, current_user, answer=form.answer.data,
                                      substitute_name=form.substitute_name.data,
                                      note=form.note.data)
        if call.ok:
            flash(_("出欠を回答しました。"), "success")
            return redirect(url_for("meetings.show", meeting_id=m.id))
    return _render_show(m, answer_forms={inv.id: form}, status=422)


@bp.post("/<int:meeting_id>/attendance")
@permission_required("manage", "meeting")
def attendance(meeting_id):
    m = load_or_404(Meeting, meeting_id, "manage")
    if ButtonForm().validate_on_submit():
        ids = [int(v) for v in request.form.getlist("attended") if v.isdigit()]
        with service_call() as call:
            meetings.record_attendance(m, current_user, ids)
        if call.ok:
            flash(_("出席を記録しました。"), "success")
    return redirect(url_for("meetings.show", meeting_id=m.id) + "#attendance")


@bp.post("/<int:meeting_id>/minutes")
@permission_required("manage", "meeting")
def minutes(meeting_id):
    m = load_or_404(Meeting, meeting_id, "manage")
    form = MinutesForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            meetings.publish_minutes(m, current_user, minutes=form.minutes.data,
                                     internal=form.internal.data)
        if call.ok:
            flash(_("議事録を公開しました。"), "success")
            return redirect(url_for("meetings.show", meeting_id=m.id) + "#sec-minutes")
    return _render_show(m, minutes_form=form, status=422)


@bp.post("/<int:meeting_id>/items")
@permission_required("manage", "meeting")
def add_item(meeting_id):
    m = load_or_404(Meeting, meeting_id, "manage")
    form = _item_form(ItemForm())
    if form.validate_on_submit():
        owner_id = {"municipality": form.owner_municipality_id.data,
                    "department": form.owner_department_id.data,
                    "person": form.owner_user_id.data}.get(form.owner_kind.data)
        with service_call(form) as call:
            items.add_item(m, current_user, kind=form.kind.data, title=form.title.data,
                           detail=form.detail.data, owner_kind=form.owner_kind.data,
                           owner_id=owner_id, due_on=form.due_on.data,
                           internal=form.internal.data)
        if call.ok:
            flash(_("決定事項・宿題を追加しました。"), "success")
            return redirect(url_for("meetings.show", meeting_id=m.id) + "#sec-items")
    return _render_show(m, item_form=form, status=422)


@bp.post("/<int:meeting_id>/items/<int:item_id>/close")
@permission_required("view", "meeting")
def close_item(meeting_id, item_id):
    m = load_or_404(Meeting, meeting_id)
    item = db.session.get(MeetingActionItem, item_id)
    if item is None or item.meeting_id != m.id:
        abort(404)
    permissions.require(current_user, "view", item)
    form = CloseItemForm(prefix=f"c{item.id}")
    if form.validate_on_submit():
        with service_call(form) as call:
            items.close_item(item, current_user, note=form.note.data)
        if call.ok:
            flash(_("完了にしました。"), "success")
            return redirect(url_for("meetings.show", meeting_id=m.id) + "#sec-items")
    return _render_show(m, close_forms={item.id: form}, status=422)


@bp.get("/<int:meeting_id>/materials/<int:material_id>")
@permission_required("view", "meeting")
def material(meeting_id, material_id):
    m = load_or_404(Meeting, meeting_id)
    f = meetings.meeting_material(m, material_id)
    if f is None:
        abort(404)
    return file_response(f)


@bp.get("/<int:meeting_id>/meeting.ics")
@permission_required("view", "meeting")
def ics(meeting_id):
    m = load_or_404(Meeting, meeting_id)
    return Response(meetings.meeting_ics(m), mimetype="text/calendar", headers={
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="meeting-{m.id}.ics"'})


# --- the municipality page ---------------------------------------------------------------

def municipality_meetings_section(m, user):
    """The dossier's 会議・フォーラム: the meetings the municipality was invited to with its
    answers, its action items, and its participation per series this fiscal year."""
    if permissions.scope_of(user, "view", "meeting_action_item") is None:
        return None
    fy = fiscal_year(utcnow())
    return {"template": "meetings/_municipality_section.html",
            "meetings": participation.municipality_meetings(m.id, user),
            "action_items": items.municipality_items(m.id, user),
            "participation": participation.municipality_participation(m.id, fy),
            "fy": fy, "labels": LABELS,
            "today": utcnow().astimezone(JST).date()}
