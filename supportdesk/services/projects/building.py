"""Proposing a joint project: its settings, who may join, its milestones; opening and closing it."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import (Municipality, MunicipalityServiceKind, Project, ProjectAnswer,
                       ProjectEligible, ProjectMilestone, Region)
from ...models.project import COST_KINDS, ELIGIBILITY, MILESTONE_STATUSES, SERVICE_KINDS
from ...notifications import notify
from ...timeutil import JST, fiscal_year, utcnow
from ...workflows.projects import ProjectAction, ProjectStatus, transition_for
from .. import ValidationFailed
from ..audit import record_audit

logger = logging.getLogger(__name__)

SETTINGS = ("title", "purpose", "fiscal_year", "eligibility", "region_ids", "service_kinds",
            "join_deadline", "cost_kind", "cost_fixed_yen", "cost_base_yen",
            "cost_per_capita_yen", "funding_name", "subsidy_rate_num", "subsidy_rate_den",
            "contract_note", "coordinator")


def _check(project, action, actor):
    t = transition_for(project.status, action)
    if t is None:
        raise ValidationFailed(_("この事業の状態ではその操作はできません。"))
    if actor.role not in t.by:
        raise permissions.PermissionDenied(f"{actor.id} may not {action} project {project.id}")
    return t


def _move(project, t, actor):
    """The one place a project's status is written: `t` is a checked row of the table."""
    before, project.status = project.status, t.to.value
    logger.info("project %s %s -> %s by user %s", project.id, before, project.status, actor.id)


def _money(value, field):
    if value is not None and value < 0:
        raise ValidationFailed(_("金額は0以上で入力してください。"), field=field)
    return value


def _validate(s, now):
    if not (s.get("title") or "").strip():
        raise ValidationFailed(_("事業名を入力してください。"), field="title")
    if not (s.get("purpose") or "").strip():
        raise ValidationFailed(_("事業の目的を入力してください。"), field="purpose")
    if s.get("join_deadline") is None:
        raise ValidationFailed(_("参加の回答期限を入力してください。"), field="join_deadline")
    if s["eligibility"] not in ELIGIBILITY:
        raise ValidationFailed(_("参加できる市町を選んでください。"), field="eligibility")
    if s["eligibility"] == "regions" and not s.get("region_ids"):
        raise ValidationFailed(_("圏域を1つ以上選んでください。"), field="region_ids")
    kinds = s.get("service_kinds") or []
    if any(k not in SERVICE_KINDS for k in kinds):
        raise ValidationFailed(_("事業の種類が正しくありません。"), field="service_kinds")
    if s["eligibility"] == "service_kinds" and not kinds:
        raise ValidationFailed(_("事業の種類を1つ以上選んでください。"), field="service_kinds")
    if s["cost_kind"] not in COST_KINDS:
        raise ValidationFailed(_("負担金の算定方法を選んでください。"), field="cost_kind")
    for name in ("cost_fixed_yen", "cost_base_yen", "cost_per_capita_yen"):
        _money(s.get(name), name)
    if s["cost_kind"] == "fixed" and s.get("cost_fixed_yen") is None:
        raise ValidationFailed(_("定額の負担金(1団体あたり)を入力してください。"),
                               field="cost_fixed_yen")
    if s["cost_kind"] == "per_capita" and s.get("cost_per_capita_yen") is None:
        raise ValidationFailed(_("人口1人あたりの単価を入力してください。"),
                               field="cost_per_capita_yen")
    num, den = s.get("subsidy_rate_num"), s.get("subsidy_rate_den")
    if (num is None) != (den is None) or (den is not None and (den <= 0 or not 0 <= num <= den)):
        raise ValidationFailed(_("補助率は「1/2」のように分子と分母を入力してください(分子は分母以下)。"),
                               field="subsidy_rate_num")
    fy = s.get("fiscal_year")
    if fy is None or not 2000 <= fy <= 2100:
        raise ValidationFailed(_("年度を西暦で入力してください。"), field="fiscal_year")


def _apply(project, s):
    project.title, project.purpose = s["title"].strip(), s["purpose"].strip()
    project.fiscal_year, project.join_deadline = s["fiscal_year"], s["join_deadline"]
    project.eligibility = s["eligibility"]
    project.eligible_region_ids = (sorted(set(s.get("region_ids") or ()))
                                   if s["eligibility"] == "regions" else None)
    project.eligible_service_kinds = ([k for k in SERVICE_KINDS if k in set(s["service_kinds"])]
                                      if s["eligibility"] == "service_kinds" else None)
    project.cost_kind = s["cost_kind"]
    project.cost_fixed_yen = s.get("cost_fixed_yen") if s["cost_kind"] == "fixed" else None
    per_capita = s["cost_kind"] == "per_capita"
    project.cost_base_yen = s.get("cost_base_yen") if per_capita else None
    project.cost_per_capita_yen = s.get("cost_per_capita_yen") if per_capita else None
    project.funding_name = (s.get("funding_name") or "").strip() or None
    project.subsidy_rate_num, project.subsidy_rate_den = (s.get("subsidy_rate_num"),
                                                          s.get("subsidy_rate_den"))
    project.contract_note = (s.get("contract_note") or "").strip() or None
    project.coordinator = (s.get("coordinator") or "").strip() or None


def default_fiscal_year(now=None):
    return fiscal_year((now or utcnow()).astimezone(JST).date())


def eligible_municipalities(project):
    """The municipalities the project's conditions select, by code: the one rule of "who may
    join" (all, the municipalities of some regions, or those running one of the service kinds)."""
    stmt = sa.select(Municipality).order_by(Municipality.code)
    if project.eligibility == "regions":
        stmt = stmt.where(Municipality.region_id.in_(project.eligible_region_ids or []))
    elif project.eligibility == "service_kinds":
        stmt = stmt.where(Municipality.id.in_(sa.select(MunicipalityServiceKind.municipality_id)
                                              .where(MunicipalityServiceKind.kind.in_(
                                                  project.eligible_service_kinds or []))))
    return db.session.scalars(stmt).all()


def _sync_eligibles(project):
    """Fix the open project's municipalities: those its conditions select now, plus any that
    already answered (an answer is never orphaned). Returns the newly added municipalities."""
    wanted = {m.id: m for m in eligible_municipalities(project)}
    answered = set(db.session.scalars(sa.select(ProjectAnswer.municipality_id).where(
        ProjectAnswer.project_id == project.id)))
    have = {e.municipality_id: e for e in project.eligibles}
    for mid, e in have.items():
        if mid not in wanted and mid not in answered:
            project.eligibles.remove(e)
    added = [m for mid, m in wanted.items() if mid not in have]
    for m in added:
        project.eligibles.append(ProjectEligible(municipality_id=m.id))
    return added


def create_project(actor, *, now=None, milestones=(), **settings):
    """A new project in 作成中 (draft). `milestones`: (title, due_on) pairs."""
    now = now or utcnow()
    permissions.require(actor, "create", "project")
    settings.setdefault("fiscal_year", default_fiscal_year(now))
    _validate(settings, now)
    project = Project(created_by_id=actor.id, created_at=now, status=ProjectStatus.DRAFT.value)
    _apply(project, settings)
    db.session.add(project)
    for title, due_on in milestones:
        project.milestones.append(ProjectMilestone(title=title, due_on=due_on, updated_at=now))
    db.session.flush()
    record_audit("project.create", actor=actor, target=project, now=now)
    return project


def update_project(project, actor, *, now=None, **settings):
    """Change a project's settings; while open, its municipalities are re-fixed (and those newly
    eligible hear the call to join)."""
    now = now or utcnow()
    permissions.require(actor, "manage", project)
    if project.status == ProjectStatus.CLOSED:
        raise ValidationFailed(_("終了した事業は変更できません。"))
    _validate(settings, now)
    _apply(project, settings)
    added = _sync_eligibles(project) if project.status == ProjectStatus.OPEN else []
    db.session.flush()
    _announce(project, added, actor, now)
    record_audit("project.update", actor=actor, target=project, now=now,
                 added_municipalities=len(added))
    return project


def _announce(project, municipalities, actor, now):
    for m in municipalities:
        notify("project.opened", municipality=m, recipients=permissions.info_dept_of(m.id),
               actor=actor, now=now, link=f"/projects/{project.id}", project=project,
               urgent=False, event_key=f"project:{project.id}:opened:m{m.id}")


def open_project(project, actor, now=None):
    """Fix the municipalities it is open to and send each the call to join."""
    now = now or utcnow()
    permissions.require(actor, "manage", project)
    t = _check(project, ProjectAction.OPEN, actor)
    added = _sync_eligibles(project)
    if not project.eligibles:
        raise ValidationFailed(_("参加できる市町がありません。対象の条件(事業の種類の登録など)を確認してください。"))
    _move(project, t, actor)
    project.opened_at = now
    db.session.flush()
    _announce(project, added, actor, now)
    record_audit("project.open", actor=actor, target=project, now=now,
                 municipalities=len(project.eligibles))
    return project


def close_project(project, actor, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", project)
    _move(project, _check(project, ProjectAction.CLOSE, actor), actor)
    project.closed_at = now
    db.session.flush()
    record_audit("project.close", actor=actor, target=project, now=now)
    return project


def add_milestone(project, actor, *, title, due_on=None, status="planned", note=None, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", project)
    if not (title or "").strip():
        raise ValidationFailed(_("マイルストーンの名前を入力してください。"), field="title")
    if status not in MILESTONE_STATUSES:
        raise ValidationFailed(_("状況を選んでください。"), field="status")
    ms = ProjectMilestone(title=title.strip(), due_on=due_on, status=status,
                          note=(note or "").strip() or None, updated_at=now)
    project.milestones.append(ms)
    db.session.flush()
    record_audit("project.milestone.add", actor=actor, target=project, now=now,
                 milestone_id=ms.id)
    return ms


def update_milestone(ms, actor, *, status, note=None, now=None):
    """Set a milestone's status (未着手 / 進行中 / 完了 / 遅延) and its note."""
    now = now or utcnow()
    permissions.require(actor, "manage", ms.project)
    if status not in MILESTONE_STATUSES:
        raise ValidationFailed(_("状況を選んでください。"), field="status")
    before = ms.status
    ms.status, ms.note, ms.updated_at = status, (note or "").strip() or None, now
    db.session.flush()
    record_audit("project.milestone.update", actor=actor, target=ms.project, now=now,
                 milestone_id=ms.id, from_status=before, to_status=status)
    return ms


def refresh_open_projects(actor, now=None):
    """Re-fix the municipalities of the open projects matched by service kind (after the kinds
    changed): the newly eligible hear the call to join. Returns how many were added."""
    now = now or utcnow()
    added = 0
    for project in db.session.scalars(sa.select(Project).where(
            Project.status == ProjectStatus.OPEN.value, Project.eligibility == "service_kinds")):
        new = _sync_eligibles(project)
        db.session.flush()
        _announce(project, new, actor, now)
        added += len(new)
    return added


def projects_for(user, limit=200):
    """The projects the user may see, newest first (staff: those open to their municipality)."""
    stmt = sa.select(Project).order_by(Project.id.desc()).limit(limit)
    return db.session.scalars(permissions.scope_projects(stmt, user)).all()


def eligible_names(project):
    """The conditions in words, for the project page: regions or service kinds."""
    if project.eligibility == "regions":
        return list(db.session.scalars(sa.select(Region.name).where(
            Region.id.in_(project.eligible_region_ids or [])).order_by(Region.sort_order)))
    if project.eligibility == "service_kinds":
        return [SERVICE_KINDS[k] for k in project.eligible_service_kinds or []]
    return []
