"""API schemas for accompaniment (伴走支援) engagements, their check-ins, and round records."""
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from ...models.engagement import Achievement, EngagementState
from ...services.visits.rounds import STATUS_LABELS
from .common import Strict, one_of
from .library import PageQuery
from .visits import PersonOut

EngagementStateName = one_of(EngagementState)
AchievementName = one_of(Achievement)
RoundStatusName = one_of(STATUS_LABELS)
# A check-in is a held or confirmed visit of the engagement, or a logged contact.
CheckinKind = Literal["visit", "contact"]


class EngagementListQuery(PageQuery):
    state: EngagementStateName | None = None


class EngagementSummary(BaseModel):
    id: int
    title: str
    state: EngagementStateName
    municipality_code: str
    owner: PersonOut
    cadence_days: int
    starts_on: date
    ends_on: date | None
    next_checkin_due: date = Field(
        description="the cadence after the last check-in (or the start)")


class CheckinOut(BaseModel):
    kind: CheckinKind
    at: datetime
    held: bool = Field(description="false for a confirmed visit still to come")
    visit_id: int | None
    summary: str | None = Field(description="a logged contact's summary")
    by: str | None = Field(description="who logged the contact")


class EngagementOut(EngagementSummary):
    goal: str
    experts: list[PersonOut]
    request_id: int | None = Field(
        description="null when the caller may not see the request")
    lecture_visit_id: int | None
    achievement: AchievementName | None = Field(description="目標の達成度, once closed")
    put_in_place: str | None = Field(description="what was put in place (導入したもの)")
    next_steps: str | None = Field(description="what follows (今後の予定)")
    outcome: str | None = Field(description="free remarks (所感・補足)")
    closed_at: datetime | None
    checkins: list[CheckinOut]


class EngagementPage(BaseModel):
    items: list[EngagementSummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end.")


class ContactIn(Strict):
    # A lower bound keeps the UTC conversion of the stored value in range.
    at: AwareDatetime = Field(gt=datetime(2000, 1, 1, tzinfo=UTC),
                              description="when the contact took place (not in the future)")
    summary: Annotated[str, Field(min_length=1, max_length=20_000, pattern=r"^[^\x00]*$")]


class RoundRecordListQuery(PageQuery):
    municipality: str | None = Field(None, pattern=r"^\d{5,6}$", description="JIS code")


class RoundRecordOut(BaseModel):
    id: int
    visit_id: int
    municipality_code: str
    held_at: datetime = Field(description="the round visit's start, Asia/Tokyo")
    progress: str
    issues: str
    shared_departments: list[str]
    recorded_by: str
    recorded_at: datetime
    proposed_request_id: int | None


class RoundRecordPage(BaseModel):
    items: list[RoundRecordOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end.")


class RoundStatusOut(BaseModel):
    municipality_code: str
    status: RoundStatusName
    last_round_on: date | None
    cycle_start: date
    cycle_end: date
    next_due_on: date
    overdue_since: date | None


class RoundCoverageOut(BaseModel):
    region_id: int
    region: str
    cycle_months: int
    cycle_start: date
    cycle_end: date
    total: int
    visited: int
    due: int
    overdue: int


class RegionRoundsOut(RoundCoverageOut):
    statuses: list[RoundStatusOut]
