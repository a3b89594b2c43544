"""API schemas for visits."""
from datetime import date, datetime

from pydantic import BaseModel, Field

from ...models.visit import VISIT_KINDS, VISIT_STATES
from .common import Count, Id, JisCode, LocalDateTime, RoleName, Strict, one_of

VisitKind = one_of(VISIT_KINDS)
VisitState = one_of(VISIT_STATES)


class VisitListQuery(Strict):
    from_: date = Field(alias="from", description="first day (Asia/Tokyo), YYYY-MM-DD")
    to: date = Field(description="last day (Asia/Tokyo), YYYY-MM-DD; at most 366 days after from")
    state: VisitState | None = None
    kind: VisitKind | None = None


class PersonOut(BaseModel):
    id: int
    display_name: str
    role: RoleName


class VisitRecordOut(BaseModel):
    attendees_executives: int
    attendees_business: int
    attendees_information: int
    attendees_other: int
    covered: str
    issues: str
    follow_ups: str
    recorded_by: str
    recorded_at: datetime


class VisitOut(BaseModel):
    id: int
    kind: VisitKind
    state: VisitState
    title: str
    starts_at: datetime = Field(description="ISO 8601 with the Asia/Tokyo offset")
    ends_at: datetime
    venue: str | None
    online_details: str | None
    municipality_codes: list[str]
    liaison: PersonOut | None
    attendees: list[PersonOut]
    request_id: int | None = Field(description="null when the caller may not see the request")
    cancel_reason: str | None
    postponed_to_id: int | None
    allowed_actions: list[str]
    record: VisitRecordOut | None = Field(description="prefecture side only")
    version: int
    updated_at: datetime


class VisitCreate(Strict):
    kind: VisitKind
    title: str = Field(min_length=1, max_length=200)
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    municipality_codes: list[JisCode] = Field(min_length=1, max_length=41)
    attendee_ids: list[Id] = Field(default_factory=list, max_length=20,
                                   description="liaisons and experts attending")
    request_id: Id | None = None
    venue: str | None = Field(None, max_length=200)
    online_details: str | None = Field(None, max_length=2000)
    confirm: bool = Field(False, description="confirm at once (double-booking check, 409)")


class VisitCancel(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class VisitRecordIn(Strict):
    attendees_executives: Count = 0
    attendees_business: Count = 0
    attendees_information: Count = 0
    attendees_other: Count = 0
    covered: str = Field("", max_length=10_000)
    issues: str = Field("", max_length=10_000)
    follow_ups: str = Field("", max_length=10_000)


class Clash(BaseModel):
    user_id: int
    name: str
    visit_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
