"""API schemas for training (研修): courses, their material, applications and the
市町DX推進リーダー trainees."""
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from ...workflows.training import (AUDIENCES, FORMATS, LEVELS, MATERIAL_KINDS, TERMS,
                                   ApplicationStatus, CourseStatus, TraineeStatus)
from .common import Strict, one_of
from .library import PageQuery

Level, Format, Audience = one_of(LEVELS), one_of(FORMATS), one_of(AUDIENCES)
CourseStatusName, ApplicationStatusName = one_of(CourseStatus), one_of(ApplicationStatus)
MaterialKind, Term, TraineeStatusName = one_of(MATERIAL_KINDS), one_of(TERMS), one_of(TraineeStatus)
NEXT = "Pass as ?cursor= for the next page; null at the end."


class CourseListQuery(PageQuery):
    pass


class CourseSummary(BaseModel):
    id: int
    title: str
    level: Level
    format: Format
    starts_on: date
    ends_on: date
    capacity: int
    apply_by: date = Field(description="the last day (Tokyo) on which staff may apply")
    requires_approval: bool = Field(description="the municipality's 情報部門 approves")
    status: CourseStatusName


class CoursePage(BaseModel):
    items: list[CourseSummary]
    next_cursor: str | None = Field(description=NEXT)


class MaterialOut(BaseModel):
    id: int
    kind: MaterialKind
    title: str
    url: str | None
    body: str | None


class CourseOut(CourseSummary):
    description: str
    venue: str | None
    audience: Audience
    seats_taken: int
    waiting: int = Field(description="applications on the waiting list")
    materials: list[MaterialOut]


class ApplicationOut(BaseModel):
    id: int
    course_id: int
    municipality_code: str
    applicant: str
    status: ApplicationStatusName
    applied_at: datetime
    completed_at: datetime | None


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None = Field(description=NEXT)


class ApplicationIn(Strict):
    note: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")] | None = None


class TraineeListQuery(PageQuery):
    status: TraineeStatusName | None = None


class TraineeOut(BaseModel):
    id: int
    cohort: str
    municipality_code: str
    name: str
    term: Term
    starts_on: date
    ends_on: date
    host_department: str
    mentor: str | None
    status: TraineeStatusName
    completed_at: datetime | None


class TraineePage(BaseModel):
    items: list[TraineeOut]
    next_cursor: str | None = Field(description=NEXT)
