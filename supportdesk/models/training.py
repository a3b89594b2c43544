"""Training (研修): the course catalogue with its targets, applications (waiting list
included), course material, and the 市町DX推進リーダー cohorts with their trainees' progress."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow
from ..workflows.training import (AUDIENCES, FORMATS, LEVELS, MATERIAL_KINDS, TERMS,
                                  ApplicationStatus, CourseStatus, TraineeStatus)


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class TrainingCourse(db.Model):
    """A course of the catalogue. Targeting is read as an announcement's
    (services/announcements.py target_municipalities); the targets are fixed when it is
    published. `audience` and `target_contact_roles` narrow who of those municipalities may
    apply (permissions.course_open_to)."""

    __tablename__ = "training_courses"
    __table_args__ = (
        sa.CheckConstraint(_in("level", LEVELS), name="level"),
        sa.CheckConstraint(_in("format", FORMATS), name="format"),
        sa.CheckConstraint(_in("status", CourseStatus), name="status"),
        sa.CheckConstraint(_in("audience", AUDIENCES), name="audience"),
        sa.CheckConstraint("capacity > 0", name="capacity"),
        sa.CheckConstraint("ends_on >= starts_on", name="period"),
        sa.Index("ix_training_courses_status_starts", "status", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    level: Mapped[str] = mapped_column(sa.String(20))
    format: Mapped[str] = mapped_column(sa.String(20))
    venue: Mapped[str | None] = mapped_column(sa.String(200))
    starts_on: Mapped[object] = mapped_column(sa.Date)
    ends_on: Mapped[object] = mapped_column(sa.Date)
    capacity: Mapped[int] = mapped_column()
    # The last day (Tokyo) on which staff may apply.
    apply_by: Mapped[object] = mapped_column(sa.Date)
    requires_approval: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=CourseStatus.DRAFT.value)
    target_all: Mapped[bool] = mapped_column(default=False)
    target_region_ids: Mapped[list | None] = mapped_column(sa.JSON)
    target_population_bands: Mapped[list | None] = mapped_column(sa.JSON)
    target_dx_staff_bands: Mapped[list | None] = mapped_column(sa.JSON)
    target_municipality_ids: Mapped[list | None] = mapped_column(sa.JSON)
    target_contact_roles: Mapped[list | None] = mapped_column(sa.JSON)
    audience: Mapped[str] = mapped_column(sa.String(10), default="all")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[object | None] = mapped_column(UTCDateTime)

    created_by = relationship("User")
    targets = relationship("TrainingCourseTarget", back_populates="course",
                           cascade="all, delete-orphan")
    materials = relationship("TrainingMaterial", back_populates="course",
                             cascade="all, delete-orphan", order_by="TrainingMaterial.id")
    permission_kind = "training_course"

    def scope_municipality_ids(self):
        return {t.municipality_id for t in self.targets}

    def __repr__(self):
        return f"<TrainingCourse {self.id} {self.status}>"


class TrainingCourseTarget(db.Model):
    """A municipality a course is open to, fixed when the course is published."""

    __tablename__ = "training_course_targets"
    __table_args__ = (sa.UniqueConstraint("course_id", "municipality_id",
                                          name="uq_training_course_targets"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_courses.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)

    course = relationship("TrainingCourse", back_populates="targets")
    municipality = relationship("Municipality")


class TrainingApplication(db.Model):
    """One staff member's application to a course, for their municipality. The waiting list
    is the WAITLISTED applications in the order they were put on it (waitlisted_at, id)."""

    __tablename__ = "training_applications"
    __table_args__ = (
        sa.CheckConstraint(_in("status", ApplicationStatus), name="status"),
        sa.Index("ix_training_applications_course_status", "course_id", "status"),
        sa.Index("ix_training_applications_municipality", "municipality_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("training_courses.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"))
    status: Mapped[str] = mapped_column(sa.String(12))
    note: Mapped[str | None] = mapped_column(sa.Text)
    applied_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    waitlisted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancelled_at: Mapped[object | None] = mapped_column(UTCDateTime)

    course = relationship("TrainingCourse")
    user = relationship("User", foreign_keys=[user_id])
    municipality = relationship("Municipality")
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    permission_kind = "training_application"

    def __repr__(self):
        return f"<TrainingApplication {self.id} c{self.course_id} {self.status}>"


class TrainingMaterial(db.Model):
    """Material of a course (slides or a video as a link, or a text), read by whoever may see
    the course; `search_text` is the normalised title and text the search compares."""

    __tablename__ = "training_materials"
    __table_args__ = (sa.CheckConstraint(_in("kind", MATERIAL_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_courses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str | None] = mapped_column(sa.String(500))
    body: Mapped[str | None] = mapped_column(sa.Text)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    course = relationship("TrainingCourse", back_populates="materials")
    created_by = relationship("User")
    permission_kind = "training_material"

    def scope_municipality_ids(self):
        return self.course.scope_municipality_ids()


class LeaderCohort(db.Model):
    """A cohort (期) of the 市町DX推進リーダー programme."""

    __tablename__ = "leader_cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    fiscal_year: Mapped[int] = mapped_column()
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    trainees = relationship("LeaderTrainee", back_populates="cohort",
                            order_by="LeaderTrainee.id")
    permission_kind = "leader_cohort"


class LeaderTrainee(db.Model):
    """A trainee of a cohort: their municipality, term, host department (受入所属), mentor and
    learning plan. Completing the term puts them in the municipality's contact directory as its
    市町DX推進リーダー (contact_id)."""

    __tablename__ = "leader_trainees"
    __table_args__ = (
        sa.CheckConstraint(_in("term", TERMS), name="term"),
        sa.CheckConstraint(_in("status", TraineeStatus), name="status"),
        sa.CheckConstraint("ends_on >= starts_on", name="period"),
        sa.Index("ix_leader_trainees_municipality_status", "municipality_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("leader_cohorts.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(sa.String(100))
    department: Mapped[str | None] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    term: Mapped[str] = mapped_column(sa.String(12))
    starts_on: Mapped[object] = mapped_column(sa.Date)
    ends_on: Mapped[object] = mapped_column(sa.Date)
    host_department: Mapped[str] = mapped_column(sa.String(200))
    mentor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    learning_plan: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), default=TraineeStatus.IN_TRAINING.value)
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    cohort = relationship("LeaderCohort", back_populates="trainees")
    municipality = relationship("Municipality")
    user = relationship("User", foreign_keys=[user_id])
    mentor = relationship("User", foreign_keys=[mentor_id])
    contact = relationship("Contact")
    progress = relationship("LeaderProgressEntry", back_populates="trainee",
                            order_by="LeaderProgressEntry.id")
    permission_kind = "leader_trainee"


class LeaderProgressEntry(db.Model):
    """One entry of a trainee's progress log (append-only: a correction is a new entry)."""

    __tablename__ = "leader_progress_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("leader_trainees.id"), index=True)
    noted_on: Mapped[object] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    trainee = relationship("LeaderTrainee", back_populates="progress")
    author = relationship("User")
    permission_kind = "leader_trainee"

    @property
    def municipality_id(self):
        return self.trainee.municipality_id
