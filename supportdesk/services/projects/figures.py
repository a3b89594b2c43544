"""The joint projects report: projects open, participants per project, and municipalities taking
part in at least one, per region and fiscal year (SQL aggregates); the municipality dossier's
list of its projects."""
import sqlalchemy as sa

from ... import permissions
from ...extensions import db
from ...models import Municipality, Project, ProjectAnswer, ProjectEligible, Region
from ...workflows.projects import ProjectStatus

PUBLISHED = (ProjectStatus.OPEN.value, ProjectStatus.CLOSED.value)


def project_years():
    """Fiscal years that have a published project, newest first."""
    return list(db.session.scalars(sa.select(Project.fiscal_year).where(
        Project.status.in_(PUBLISHED)).distinct().order_by(Project.fiscal_year.desc())))


def _published(fy):
    return sa.and_(Project.fiscal_year == fy, Project.status.in_(PUBLISHED))


def region_rows(fy):
    """Per region: municipalities, projects open to at least one of them, 参加 answers, and the
    municipalities taking part in at least one project; the last row is the prefecture's total."""
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    munis = dict(db.session.execute(sa.select(Municipality.region_id, sa.func.count(
        Municipality.id)).group_by(Municipality.region_id)).all())
    opened = dict(db.session.execute(
        sa.select(Municipality.region_id, sa.func.count(sa.distinct(ProjectEligible.project_id)))
        .join(ProjectEligible, ProjectEligible.municipality_id == Municipality.id)
        .join(Project, Project.id == ProjectEligible.project_id).where(_published(fy))
        .group_by(Municipality.region_id)).all())
    joined = {rid: (n, k) for rid, n, k in db.session.execute(
        sa.select(Municipality.region_id, sa.func.count(ProjectAnswer.id),
                  sa.func.count(sa.distinct(ProjectAnswer.municipality_id)))
        .join(ProjectAnswer, ProjectAnswer.municipality_id == Municipality.id)
        .join(Project, Project.id == ProjectAnswer.project_id)
        .where(_published(fy), ProjectAnswer.answer == "join")
        .group_by(Municipality.region_id))}
    rows = [dict(region=r.name, municipalities=munis.get(r.id, 0), projects=opened.get(r.id, 0),
                 participations=joined.get(r.id, (0, 0))[0],
                 taking_part=joined.get(r.id, (0, 0))[1]) for r in regions]
    total_projects = db.session.scalar(sa.select(sa.func.count(Project.id)).where(_published(fy)))
    rows.append(dict(region=None, municipalities=sum(munis.values()), projects=total_projects,
                     participations=sum(r["participations"] for r in rows),
                     taking_part=sum(r["taking_part"] for r in rows)))
    return rows


def project_rows(fy):
    """Per published project of the year: its municipalities and the answers by kind."""
    projects = db.session.scalars(sa.select(Project).where(_published(fy))
                                  .order_by(Project.id)).all()
    eligible = dict(db.session.execute(
        sa.select(ProjectEligible.project_id, sa.func.count(ProjectEligible.id))
        .group_by(ProjectEligible.project_id)).all())
    counts = {}
    for pid, answer, n in db.session.execute(
            sa.select(ProjectAnswer.project_id, ProjectAnswer.answer,
                      sa.func.count(ProjectAnswer.id))
            .join(Project, Project.id == ProjectAnswer.project_id).where(_published(fy))
            .group_by(ProjectAnswer.project_id, ProjectAnswer.answer)):
        counts.setdefault(pid, {})[answer] = n
    out = []
    for p in projects:
        c = counts.get(p.id, {})
        n = eligible.get(p.id, 0)
        out.append(dict(project=p, eligible=n, join=c.get("join", 0),
                        considering=c.get("considering", 0), decline=c.get("decline", 0),
                        unanswered=n - sum(c.values())))
    return out


def municipality_projects(municipality, user):
    """The dossier's list: the published projects open to the municipality, with its answer
    (as the user may read it), newest first."""
    stmt = permissions.scope_projects(
        sa.select(Project, ProjectAnswer)
        .join(ProjectEligible, sa.and_(ProjectEligible.project_id == Project.id,
                                       ProjectEligible.municipality_id == municipality.id))
        .outerjoin(ProjectAnswer, sa.and_(ProjectAnswer.project_id == Project.id,
                                          ProjectAnswer.municipality_id == municipality.id))
        .where(Project.status.in_(PUBLISHED)).order_by(Project.id.desc()), user)
    return [(p, a if a is not None and permissions.can(user, "view", a) else None)
            for p, a in db.session.execute(stmt)]
