"""API schemas for joint projects (この指とまれ) and the municipalities' answers."""
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from ...models.project import ANSWERS, COST_KINDS, ELIGIBILITY, MILESTONE_STATUSES, SERVICE_KINDS
from ...workflows.projects import ProjectStatus
from .common import Strict, one_of
from .library import PageQuery

ProjectStatusName = one_of(ProjectStatus)
AnswerName = one_of(ANSWERS)
Yen = Annotated[int, Field(ge=0, le=10**13)]


class ProjectListQuery(PageQuery):
    pass


class ProjectSummary(BaseModel):
    id: int
    title: str
    status: ProjectStatusName
    fiscal_year: int = Field(description="年度 (April start), e.g. 2026")
    join_deadline: date = Field(description="the last day (Tokyo) a municipality answers itself")


class ProjectPage(BaseModel):
    items: list[ProjectSummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end.")


class MilestoneOut(BaseModel):
    title: str
    due_on: date | None
    status: one_of(MILESTONE_STATUSES)
    note: str | None


class CostsOut(BaseModel):
    participants: int = Field(description="municipalities whose answer is 参加")
    gross_yen: int | None = Field(description="the participants' shares before the funding "
                                              "(null when the caller may not see every answer)")
    subsidy_yen: int | None
    net_yen: int | None
    per_participant_net_yen: int | None


class ProjectOut(ProjectSummary):
    purpose: str
    eligibility: one_of(ELIGIBILITY)
    eligible_region_ids: list[int] | None
    eligible_service_kinds: list[one_of(SERVICE_KINDS)] | None
    cost_kind: one_of(COST_KINDS)
    cost_fixed_yen: int | None
    cost_base_yen: int | None
    cost_per_capita_yen: int | None
    funding_name: str | None
    subsidy_rate: str | None = Field(description='e.g. "1/2"')
    contract_note: str | None
    municipality_codes: list[str] = Field(
        description="the municipalities it is open to (a municipal caller: only its own)")
    milestones: list[MilestoneOut]
    costs: CostsOut


class AnswerRevisionOut(BaseModel):
    revision: int
    answer: AnswerName
    at: datetime
    via_liaison: bool
    after_deadline: bool


class ProjectAnswerOut(BaseModel):
    municipality_code: str
    municipality: str
    answer: AnswerName
    contact: str
    note: str | None
    population: int | None
    agreed_yen: int | None
    share_net_yen: int | None = Field(description="the share after the funding (null: not known)")
    revision: int
    updated_at: datetime
    history: list[AnswerRevisionOut]


class ProjectAnswerPage(BaseModel):
    items: list[ProjectAnswerOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end.")


class ProjectAnswerIn(Strict):
    answer: AnswerName
    contact: Annotated[str, Field(min_length=1, max_length=200)]
    note: Annotated[str, Field(max_length=4000)] | None = None
    population: Annotated[int, Field(ge=1, le=10**8)] | None = Field(
        None, description="the population the share is reckoned on (per-capita projects)")
