"""Filing requests: drafts, optimistic-locking edits, submission (number, routing), withdrawal."""
import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from flask_babel import gettext as _

from ... import calendar_jp, permissions
from ...extensions import db
from ...models import (LectureCandidateDate, Municipality, RequestCounter, SupportRequest, Theme,
                      User)
from ...models.support_request import KINDS
from ...notifications import notify
from ...notifications.audiences import municipality_rooms
from ...roles import Role
from ...timeutil import JST, fiscal_year, fiscal_year_short, utcnow
from ...workflow import EDITABLE_BY_FILER, FINAL_STATES, Action, State
from .. import DomainError, ValidationFailed, catalogue
from .response_target import first_response_due
from .fields import (  # noqa: F401  (normalise_search is re-exported for callers)
    EDITABLE_FIELDS, FIELD_LABELS, current_value, display_value, normal_value, normalise_search,
    refresh_search_text, same_value)
from .transitions import InvalidTransition, _check, apply_action, record_event

logger = logging.getLogger(__name__)

# 伴走支援 follows a lecture or a consultation that was carried out or answered.
PARENT_STATES = (State.DELIVERED, State.ANSWERED, State.CLOSED)
PARENT_KINDS = ("consultation", "lecture")


def may_be_parent(parent):
    """Whether `parent` may be the origin (元の依頼) of an accompaniment request: the one owner
    of the rule, for the service, the form's choices, the request page's button and the API."""
    return parent.kind in PARENT_KINDS and parent.state in PARENT_STATES


def parent_conditions():
    """may_be_parent as SQL conditions, for lists of candidate parents."""
    return (SupportRequest.kind.in_(PARENT_KINDS),
            SupportRequest.state.in_([s.value for s in PARENT_STATES]))


class StaleEdit(DomainError):
    """Someone saved the request after this form was loaded. `changes` lists what they changed:
    [{"field", "label", "theirs", "yours"}]; `current_version` is the version to retry with."""

    def __init__(self, message, changes, current_version):
        super().__init__(message)
        self.changes = changes
        self.current_version = current_version


def _assign(sreq, field, value, actor):
    if field == "theme_ids":
        sreq.themes = list(db.session.scalars(sa.select(Theme).where(Theme.id.in_(value))))
    elif field == "co_municipality_ids":
        munis = list(db.session.scalars(sa.select(Municipality).where(Municipality.id.in_(value))))
        sreq.co_municipalities = [m for m in munis if m.id != sreq.municipality_id]
    elif field == "candidate_dates":
        _refuse_closed_candidates(sreq, value)
        sreq.candidate_dates = [LectureCandidateDate(rank=i, starts_at=s, ends_at=e)
                                for i, (s, e) in enumerate(value, start=1)]
    elif field == "parent_id":
        if value is not None:
            _check_parent(sreq, value, actor)
        sreq.parent_id = value
    elif field in ("program", "help_wanted"):
        # A key the catalogue offers; a retired one the request already holds may stay.
        held = sreq.help_wanted if field == "help_wanted" else [sreq.program]
        catalogue.check_keys(catalogue.LECTURE_MENU if field == "program" else catalogue.SUPPORT_KIND,
                             value if field == "help_wanted" else [value] if value else [],
                             field=field, kept=held or ())
        setattr(sreq, field, value)
    else:
        setattr(sreq, field, value)


def _refuse_closed_candidates(sreq, dates):
    """A lecture is not proposed on a national holiday or in the 12/29-1/3 closure (weekends
    stay possible). Dates already on the request are kept as they are, so an edit never fails
    on a date accepted earlier."""
    known = {(c.starts_at, c.ends_at) for c in sreq.candidate_dates}
    problems = []
    for starts_at, ends_at in dates:
        if (starts_at, ends_at) in known:
            continue
        day = starts_at.astimezone(JST).date()
        last = ends_at.astimezone(JST).date()
        while day <= last:
            reason = calendar_jp.closed_day_reason(day)
            if reason is not None and reason[0] == "holiday":
                problems.append(_("%(day)sは祝日(%(name)s)です。", day=calendar_jp.day_label(day),
                                  name=reason[1]))
            elif reason is not None:
                problems.append(_("%(day)sは年末年始の閉庁日です。",
                                  day=calendar_jp.day_label(day)))
            day += timedelta(days=1)
    if problems:
        raise ValidationFailed(" ".join(problems + [
            _("祝日と年末年始(12月29日〜1月3日)は候補日にできません。別の日を入力してください。")]),
            field="candidate_dates")


def _check_parent(sreq, parent_id, actor):
    parent = db.session.get(SupportRequest, parent_id)
    if (parent is None or parent.id == sreq.id or parent.municipality_id != sreq.municipality_id
            or not permissions.can(actor, "view", parent)):
        raise ValidationFailed(_("元の依頼が見つかりません。同じ市町の依頼を選んでください。"),
                               field="parent_id")
    if not may_be_parent(parent):
        raise ValidationFailed(
            _("伴走支援の元にできるのは、実施済・回答済・完了の出前講座・相談です。"),
            field="parent_id")


ORIGINS = ("municipal", "push")


def files_for_own_municipality(actor):
    """Whether `actor` files only for their own municipality (municipal staff: the form has
    no municipality field), from the permission table's scope for creating requests."""
    return permissions.scope_of(actor, "create", "request") == permissions.OWN


def filing_municipality_for(actor, municipality_id=None):
    """The municipality a new request is filed for. Staff always file for their own (naming
    another is refused as if it did not exist); anyone else must name one."""
    if files_for_own_municipality(actor):
        if municipality_id not in (None, actor.municipality_id):
            raise permissions.PermissionDenied("staff file for their own municipality only")
        municipality_id = actor.municipality_id
    municipality = db.session.get(Municipality, municipality_id) if municipality_id else None
    if municipality is None:
        raise ValidationFailed(_("市町を選んでください。"), field="municipality_id")
    return municipality


def may_push(actor):
    """Only liaisons file push-type requests (プッシュ型: the desk proposes, not the town)."""
    return actor.role == Role.LIAISON


def create_request(actor, kind, *, municipality_id=None, origin="municipal", now=None,
                   uploads=(), prework_uploads=(), submit=False, **fields):
    """A new draft. Staff file for their own municipality; a liaison files on a municipality's
    behalf, and only a liaison may mark it push-type (プッシュ型). `fields` are EDITABLE_FIELDS."""
    now = now or utcnow()
    if kind not in KINDS:
        raise ValidationFailed(_("依頼の種類を選んでください。"), field="kind")
    municipality = filing_municipality_for(actor, municipality_id)
    if origin not in ORIGINS:
        raise ValidationFailed(_("申し出の種類が正しくありません。"), field="origin")
    if origin == "push" and not may_push(actor):
        raise ValidationFailed(_("プッシュ型の提案はリエゾンだけが登録できます。"), field="origin")
    sreq = SupportRequest(kind=kind, origin=origin, state=State.DRAFT.value,
                          municipality_id=municipality.id, municipality=municipality,
                          region_id=municipality.region_id, filer_id=actor.id,
                          created_by_id=actor.id, title="", body="", created_at=now,
                          updated_at=now,
                          filed_outside_info_dept=not _is_info_dept_of(actor, municipality))
    permissions.require(actor, "create", sreq)
    db.session.add(sreq)
    changes = {}
    for field in EDITABLE_FIELDS:
        if field in fields:
            value = normal_value(field, fields[field])
            _assign(sreq, field, value, actor)
            if value not in (None, "", [], False):
                changes[field] = {"old": None, "new": display_value(field, value)}
    if not sreq.title:
        raise ValidationFailed(_("件名を入力してください。"), field="title")
    sreq.followers = [actor]
    refresh_search_text(sreq)
    db.session.flush()
    record_event(sreq, actor, "created", data={"kind": kind, "origin": origin,
                                               "municipality": municipality.name,
                                               "changes": changes}, now=now)
    _attach(sreq, actor, uploads, prework_uploads, now)
    logger.info("request %s created (%s) by user %s", sreq.id, kind, actor.id)
    if submit:
        submit_request(sreq, actor, now=now)
    db.session.flush()
    return sreq


def _attach(sreq, actor, uploads, prework_uploads, now):
    from .attachments import add_attachments

    if uploads:
        add_attachments(sreq, actor, uploads, now=now)
    if prework_uploads:
        add_attachments(sreq, actor, prework_uploads, purpose="prework", field="prework_files",
                        now=now)


def _is_info_dept_of(user, municipality):
    return (user.role == Role.STAFF and user.is_information_dept
            and user.municipality_id == municipality.id)


def can_edit(sreq, user):
    """Staff edit until a liaison takes the request; liaisons edit while it is open."""
    if not permissions.can(user, "edit", sreq):
        return False
    if user.role == Role.STAFF:
        return sreq.state in EDITABLE_BY_FILER
    return sreq.state not in FINAL_STATES


def update_request(sreq, actor, *, version, now=None, uploads=(), prework_uploads=(),
                   submit=False, **fields):
    """Change fields of a request (and add files; `submit` also submits a draft). `version` is
    the version the form was loaded at: if someone saved in between, StaleEdit lists their
    changes and nothing is written."""
    now = now or utcnow()
    permissions.require(actor, "view", sreq)
    if not can_edit(sreq, actor):
        raise InvalidTransition(_("この依頼は現在の状態(担当者が対応中など)では編集できません。"))
    try:
        base_version = int(version)
    except (TypeError, ValueError):
        base_version = 0
    if base_version != sreq.version:
        raise _stale(sreq, base_version, fields)
    try:
        return _apply_update(sreq, actor, base_version, fields, uploads, prework_uploads,
                             submit, now)
    except StaleDataError:
        # Someone else's save won the race after our version check (PostgreSQL, read
        # committed): the versioned UPDATE matched no row. The caller rolls back.
        raise StaleEdit(_("この依頼は、保存の直前に他の人が更新しました。入力内容は残してあります。"
                          "画面を確認して、もう一度保存してください。"), [], None) from None


def _apply_update(sreq, actor, base_version, fields, uploads, prework_uploads, submit, now):
    changes = {}
    for field in EDITABLE_FIELDS:
        if field not in fields:
            continue
        new = normal_value(field, fields[field])
        old = current_value(sreq, field)
        if same_value(field, old, new):
            continue
        changes[field] = {"old": display_value(field, old), "new": display_value(field, new)}
        _assign(sreq, field, new, actor)
    _attach(sreq, actor, uploads, prework_uploads, now)
    if changes:
        _record_changes(sreq, actor, changes, base_version, now)
        if "co_municipality_ids" in changes and sreq.state != State.DRAFT:
            _add_co_applicant_followers(sreq, actor, now)
    if submit and sreq.state == State.DRAFT:
        submit_request(sreq, actor, now=now)
    db.session.flush()
    return sreq


def _record_changes(sreq, actor, changes, base_version, now):
    if not sreq.title:
        raise ValidationFailed(_("件名を入力してください。"), field="title")
    sreq.updated_at = now
    refresh_search_text(sreq)
    db.session.flush()
    record_event(sreq, actor, "fields", data={"changes": changes, "base_version": base_version},
                 now=now)
    logger.info("request %s fields %s changed by user %s", sreq.id, sorted(changes), actor.id)


def _stale(sreq, loaded_version, fields):
    """What other people changed since `loaded_version`, next to what this user typed."""
    from ...models import RequestEvent

    events = db.session.scalars(
        sa.select(RequestEvent).where(RequestEvent.request_id == sreq.id,
                                      RequestEvent.kind == "fields")
        .order_by(RequestEvent.at, RequestEvent.id)).all()
    changed = []
    for ev in events:
        if (ev.data or {}).get("base_version", 0) >= loaded_version:
            changed += [f for f in ev.data["changes"] if f not in changed]
    out = []
    for field in changed:
        yours = (display_value(field, normal_value(field, fields[field])) if field in fields
                 else None)
        out.append({"field": field, "label": _(FIELD_LABELS[field]),
                    "theirs": display_value(field, current_value(sreq, field)), "yours": yours})
    if out:
        names = "、".join(c["label"] for c in out)
        message = _("この依頼は、あなたが編集を始めた後に他の人が更新しました(変更された項目: "
                    "%(fields)s)。入力内容は残してあります。相手の変更を確認して、もう一度保存して"
                    "ください。", fields=names)
    else:
        message = _("この依頼は、あなたが編集を始めた後に他の人が更新しました(状態や担当など)。"
                    "入力内容は残してあります。確認して、もう一度保存してください。")
    return StaleEdit(message, out, sreq.version)


def next_request_number(fy):
    """The next sequence number of fiscal year `fy`. The counter row is bumped with one UPDATE,
    which locks it until commit (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE write lock), so
    two concurrent submissions can never get the same number."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(RequestCounter).values(fiscal_year=fy, last_seq=0)
                       .on_conflict_do_nothing(index_elements=["fiscal_year"]))
    return db.session.execute(
        sa.update(RequestCounter).where(RequestCounter.fiscal_year == fy)
        .values(last_seq=RequestCounter.last_seq + 1)
        .returning(RequestCounter.last_seq)
        .execution_options(synchronize_session=False)).scalar_one()


def submit_request(sreq, actor, *, now=None):
    """Draft -> 受付: number it for the fiscal year, route it, set the first-response target and
    share it with the 情報部門 when it did not come through them."""
    now = now or utcnow()
    problem = _check(sreq, Action.SUBMIT, actor, now)
    if problem:
        raise InvalidTransition(problem)
    if not sreq.title or not (sreq.body or sreq.kind == "lecture"):
        raise ValidationFailed(_("件名と内容を入力してから提出してください。"), field="body")
    if sreq.kind == "lecture" and sreq.origin != "push" and len(sreq.candidate_dates) < 2:
        raise ValidationFailed(_("候補日時を2つ以上入力してから提出してください。"),
                               field="candidate_dates")
    # Numbered before the transition, so that its RequestEvent and log line name the number
    # (the notices are rendered when the unit of work commits, with the final values anyway).
    sreq.region_id = sreq.municipality.region_id
    sreq.submitted_at = now
    sreq.first_response_due_at = first_response_due(now, sreq.kind)
    if sreq.number is None:
        fy = fiscal_year(now)
        seq = next_request_number(fy)
        sreq.fiscal_year, sreq.seq = fy, seq
        sreq.number = f"{fiscal_year_short(fy)}-{seq:04d}"
        refresh_search_text(sreq)  # the number is searchable too
    apply_action(sreq, Action.SUBMIT, actor, now=now)
    record_event(sreq, actor, "routed", data={
        "number": sreq.number, "region": sreq.region.name,
        "central_team": not sreq.region.has_liaison,
        "first_response_due_at": sreq.first_response_due_at.isoformat()}, now=now)
    _share_with_info_dept(sreq, actor, now)
    _add_co_applicant_followers(sreq, actor, now)
    db.session.flush()
    logger.info("request %s submitted as %s to region %s", sreq.id, sreq.number, sreq.region_id)
    return sreq


def _share_with_info_dept(sreq, actor, now):
    """実施手順: a request that did not come through the 情報部門 is shared with it."""
    if _is_info_dept_of(sreq.filer, sreq.municipality):
        sreq.filed_outside_info_dept, sreq.info_dept_reached = False, None
        return
    sreq.filed_outside_info_dept = True
    users = [u for u in permissions.info_dept_of(sreq.municipality_id) if u.id != actor.id]
    rooms = municipality_rooms([sreq.municipality_id])
    sreq.info_dept_reached = bool(users or rooms)
    _add_followers(sreq, users)
    record_event(sreq, actor, "info_shared", now=now, data={
        "users": [u.display_name for u in users], "rooms": [r.name for r in rooms],
        "reached": bool(users or rooms)})
    if users or rooms:
        notify("request.info_dept_shared", sreq=sreq, actor=actor, now=now)
    else:
        logger.warning("request %s: no 情報部門 user or room in municipality %s to share with",
                       sreq.id, sreq.municipality_id)


def info_dept_share(sreq, events=None):
    """How the 情報部門 rule went: None when it does not apply (filed through the 情報部門, or
    not submitted yet), else {"reached": bool, "users": [...], "rooms": [...]} of the share.
    `events`: the request's history as a page loaded it (the share's event is never internal,
    so every viewer's history holds it), instead of a query."""
    from ...models import RequestEvent

    if not sreq.filed_outside_info_dept or sreq.submitted_at is None:
        return None
    if events is not None:
        shared = [e for e in events if e.kind == "info_shared"]
        event = max(shared, key=lambda e: e.id) if shared else None
    else:
        event = db.session.scalar(sa.select(RequestEvent).where(
            RequestEvent.request_id == sreq.id, RequestEvent.kind == "info_shared")
            .order_by(RequestEvent.id.desc()).limit(1))
    data = dict(event.data or {}) if event is not None else {}
    data.setdefault("users", [])
    data.setdefault("rooms", [])
    data.setdefault("reached", bool(data["users"] or data["rooms"]))
    return data


def info_dept_conditions(which):
    """The 情報部門 rule as SQL conditions over SupportRequest: filed outside it ("outside"),
    of those the ones whose share reached someone ("reached") or nobody ("unreached"), or
    filed through it ("through"). The queue filter and the report's figures both ask this."""
    if which == "through":
        return (SupportRequest.filed_outside_info_dept.is_(False),)
    if which == "unreached":
        return (SupportRequest.filed_outside_info_dept.is_(True),
                sa.or_(SupportRequest.info_dept_reached.is_(False),
                       SupportRequest.info_dept_reached.is_(None)))
    if which == "reached":
        return (SupportRequest.filed_outside_info_dept.is_(True),
                SupportRequest.info_dept_reached.is_(True))
    return (SupportRequest.filed_outside_info_dept.is_(True),)


def _add_co_applicant_followers(sreq, actor, now):
    """Joint lectures: the co-applicant municipalities' staff follow the request too."""
    ids = [m.id for m in sreq.co_municipalities]
    if not ids:
        return
    users = list(db.session.scalars(
        sa.select(User).where(User.role == Role.STAFF, User.active.is_(True),
                              User.municipality_id.in_(ids)).order_by(User.id)))
    added = _add_followers(sreq, users)
    if added:
        notify("request.co_applicant", sreq=sreq, recipients=added, actor=actor, now=now)


def _add_followers(sreq, users):
    have = {u.id for u in sreq.followers}
    added = [u for u in users if u.id not in have]
    sreq.followers.extend(added)
    return added


def withdraw_request(sreq, actor, reason, *, now=None):
    """取下げ by the municipality (a draft may be dropped without a reason)."""
    return apply_action(sreq, Action.WITHDRAW, actor, reason=reason, now=now)


def missing_hold_date(action, hold_until):
    """A hold names the day it is to be lifted: the refusal when it does not, else None (the
    single action and the queue's bulk hold both ask this)."""
    if Action(action) == Action.HOLD and hold_until is None:
        return _("保留を解除する予定日を入力してください。")
    return None


def perform_action(sreq, action, actor, *, reason=None, hold_until=None, now=None):
    """One entry for the action buttons: submitting also numbers and routes the request."""
    if Action(action) == Action.SUBMIT and sreq.state == State.DRAFT:
        return submit_request(sreq, actor, now=now)
    problem = missing_hold_date(action, hold_until)
    if problem:
        raise InvalidTransition(problem)
    return apply_action(sreq, action, actor, reason=reason, hold_until=hold_until, now=now)
