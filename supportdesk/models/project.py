"""Joint projects (この指とまれ方式): the prefecture's proposal, its milestones, the municipalities
it is open to, each municipality's answer with its append-only revisions, the project's notices
and documents, and the service kinds (水道事業...) a project can be open to."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow

# Who may join: every municipality, those of some regions, or those running a service kind.
ELIGIBILITY = {
    "all": N_("全市町"),
    "regions": N_("圏域を指定"),
    "service_kinds": N_("事業の種類を指定(水道事業など)"),
}
# How a participant's share is reckoned (services/projects/costs.py is the one rule).
COST_KINDS = {
    "fixed": N_("定額(参加団体ごとに同額)"),
    "per_capita": N_("人口割(均等割+単価×人口)"),
    "agreed": N_("協議により決定(団体ごとの合意額)"),
}
# The municipality's answer: 参加 / 検討中 / 見送り.
ANSWERS = {
    "join": N_("参加"),
    "considering": N_("検討中"),
    "decline": N_("見送り"),
}
MILESTONE_STATUSES = {
    "planned": N_("未着手"),
    "in_progress": N_("進行中"),
    "done": N_("完了"),
    "delayed": N_("遅延"),
}
# Services a municipality runs (or its 公営企業 does) that a project can be open to; kept by the
# liaisons on the projects' service-kind page. Codes are stored, labels shown.
SERVICE_KINDS = {
    "water": N_("水道事業"),
    "sewerage": N_("下水道事業"),
    "industrial_water": N_("工業用水道事業"),
    "hospital": N_("病院事業"),
    "transport": N_("交通事業"),
}
PROJECT_STATUSES = ("draft", "open", "closed")
# The answers that receive the project's notices and documents.
PARTICIPATING = ("join", "considering")


def _in(values):
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class Project(db.Model):
    __tablename__ = "projects"
    __table_args__ = (
        sa.CheckConstraint("status IN " + _in(PROJECT_STATUSES), name="status"),
        sa.CheckConstraint("eligibility IN " + _in(ELIGIBILITY), name="eligibility"),
        sa.CheckConstraint("cost_kind IN " + _in(COST_KINDS), name="cost_kind"),
        sa.CheckConstraint("subsidy_rate_num IS NULL OR (subsidy_rate_num >= 0 AND "
                           "subsidy_rate_den > 0 AND subsidy_rate_num <= subsidy_rate_den)",
                           name="subsidy_rate"),
        sa.Index("ix_projects_status_fiscal_year", "status", "fiscal_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    purpose: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    # The fiscal year (年度, April start) the project runs in: what the report groups by.
    fiscal_year: Mapped[int] = mapped_column()
    eligibility: Mapped[str] = mapped_column(sa.String(20), default="all")
    eligible_region_ids: Mapped[list | None] = mapped_column(sa.JSON)
    eligible_service_kinds: Mapped[list | None] = mapped_column(sa.JSON)
    # The last day (Tokyo) a municipality may answer or change its answer itself.
    join_deadline: Mapped[object] = mapped_column(sa.Date)
    cost_kind: Mapped[str] = mapped_column(sa.String(20), default="fixed")
    # fixed: the sum per participant; per_capita: cost_base_yen + cost_per_capita_yen × population.
    cost_fixed_yen: Mapped[int | None] = mapped_column(sa.BigInteger)
    cost_base_yen: Mapped[int | None] = mapped_column(sa.BigInteger)
    cost_per_capita_yen: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Funding (財源), e.g. デジタル田園都市国家構想交付金 at 1/2 of the cost.
    funding_name: Mapped[str | None] = mapped_column(sa.String(200))
    subsidy_rate_num: Mapped[int | None] = mapped_column()
    subsidy_rate_den: Mapped[int | None] = mapped_column()
    # How it is procured, e.g. "県が一括で委託契約" (one contract for all participants).
    contract_note: Mapped[str | None] = mapped_column(sa.Text)
    coordinator: Mapped[str | None] = mapped_column(sa.String(200))  # 取りまとめ (prefecture side)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[object | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime)

    created_by = relationship("User")
    milestones = relationship("ProjectMilestone", back_populates="project",
                              cascade="all, delete-orphan",
                              order_by="(ProjectMilestone.due_on, ProjectMilestone.id)")
    eligibles = relationship("ProjectEligible", back_populates="project",
                             cascade="all, delete-orphan")
    permission_kind = "project"

    def scope_municipality_ids(self):
        """The municipalities the project is open to (none while it is a draft)."""
        if self.status == "draft":
            return set()
        return {e.municipality_id for e in self.eligibles}

    def __repr__(self):
        return f"<Project {self.id} {self.status}>"


class ProjectEligible(db.Model):
    """A municipality a project is open to: fixed when it opens, widened (never narrowed below
    those who answered) when its conditions change while open."""

    __tablename__ = "project_eligibles"
    __table_args__ = (sa.UniqueConstraint("project_id", "municipality_id",
                                          name="uq_project_eligibles"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)

    project = relationship("Project", back_populates="eligibles")
    municipality = relationship("Municipality")


class ProjectMilestone(db.Model):
    __tablename__ = "project_milestones"
    __table_args__ = (
        sa.CheckConstraint("status IN " + _in(MILESTONE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[object | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20), default="planned")
    note: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[object | None] = mapped_column(UTCDateTime)

    project = relationship("Project", back_populates="milestones")
    permission_kind = "project"

    def scope_municipality_ids(self):
        return self.project.scope_municipality_ids()


class ProjectAnswer(db.Model):
    """A municipality's current answer to a project; every change is a ProjectAnswerRevision."""

    __tablename__ = "project_answers"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "municipality_id", name="uq_project_answers"),
        sa.CheckConstraint("answer IN " + _in(ANSWERS), name="answer"),
        sa.Index("ix_project_answers_answer", "project_id", "answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    answer: Mapped[str] = mapped_column(sa.String(20))
    contact: Mapped[str] = mapped_column(sa.String(200))  # 担当者 (name, section, phone / mail)
    note: Mapped[str | None] = mapped_column(sa.Text)
    # per_capita: the population the share is reckoned on (給水人口 for a water project...),
    # given by the municipality: the desk holds population bands only.
    population: Mapped[int | None] = mapped_column()
    # agreed: the amount agreed with this participant, recorded by the liaison.
    agreed_yen: Mapped[int | None] = mapped_column(sa.BigInteger)
    revision: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[object] = mapped_column(UTCDateTime)

    project = relationship("Project")
    municipality = relationship("Municipality")
    updated_by = relationship("User")
    revisions = relationship("ProjectAnswerRevision", back_populates="answer_row",
                             order_by="ProjectAnswerRevision.revision")
    permission_kind = "project_answer"


class ProjectAnswerRevision(db.Model):
    """One version of an answer: never updated or deleted (a change adds one)."""

    __tablename__ = "project_answer_revisions"
    __table_args__ = (
        sa.UniqueConstraint("answer_id", "revision", name="uq_project_answer_revisions"),
        sa.CheckConstraint("answer IN " + _in(ANSWERS), name="answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project_answers.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column()
    answer: Mapped[str] = mapped_column(sa.String(20))
    contact: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.Text)
    population: Mapped[int | None] = mapped_column()
    agreed_yen: Mapped[int | None] = mapped_column(sa.BigInteger)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[object] = mapped_column(UTCDateTime)
    # Recorded by a liaison for the municipality (after the deadline, or an answer by phone).
    via_liaison: Mapped[bool] = mapped_column(default=False)
    after_deadline: Mapped[bool] = mapped_column(default=False)

    answer_row = relationship("ProjectAnswer", back_populates="revisions")
    by = relationship("User")


class ProjectNotice(db.Model):
    """A notice of a project to its participants (参加 and 検討中), with its documents."""

    __tablename__ = "project_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    posted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    posted_at: Mapped[object] = mapped_column(UTCDateTime)
    # The municipalities it went to, fixed when posted (JSON list of ids).
    municipality_ids: Mapped[list] = mapped_column(sa.JSON, default=list)

    project = relationship("Project")
    posted_by = relationship("User")
    documents = relationship("ProjectDocument", back_populates="notice",
                             order_by="ProjectDocument.id")
    permission_kind = "project_document"

    def scope_municipality_ids(self):
        """Those it was sent to, and whoever takes part now (a late joiner reads earlier ones)."""
        current = db.session.scalars(sa.select(ProjectAnswer.municipality_id).where(
            ProjectAnswer.project_id == self.project_id,
            ProjectAnswer.answer.in_(PARTICIPATING)))
        return set(self.municipality_ids or ()) | set(current)


class ProjectDocument(db.Model):
    """A file of a project's notice, stored under UPLOAD_FOLDER (metadata here)."""

    __tablename__ = "project_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project_notices.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    notice = relationship("ProjectNotice", back_populates="documents")
    permission_kind = "project_document"

    def scope_municipality_ids(self):
        return self.notice.scope_municipality_ids()


class MunicipalityServiceKind(db.Model):
    """A service a municipality runs (水道事業...): what a project open "by service kind" matches."""

    __tablename__ = "municipality_service_kinds"
    __table_args__ = (
        sa.UniqueConstraint("municipality_id", "kind", name="uq_municipality_service_kinds"),
        sa.CheckConstraint("kind IN " + _in(SERVICE_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipalities.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))

    municipality = relationship("Municipality")
