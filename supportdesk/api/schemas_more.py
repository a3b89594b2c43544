"""API schemas for visits, push information and the caller's notifications (pydantic)."""
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from ..models.announcement import ANNOUNCEMENT_CATEGORIES, ANNOUNCEMENT_STATES, DEPARTMENT_CHOICES
from ..models.org import DX_STAFF_BANDS, POPULATION_BANDS
from ..models.visit import VISIT_KINDS, VISIT_STATES
from ..timeutil import JST
from .schemas import RoleName, Strict, one_of

VisitKind = one_of(VISIT_KINDS)
VisitState = one_of(VISIT_STATES)
Category = one_of(ANNOUNCEMENT_CATEGORIES)
AnnouncementStatus = one_of(ANNOUNCEMENT_STATES)
# Drafts are not listed through the API.
ListedAnnouncementStatus = one_of(s for s in ANNOUNCEMENT_STATES if s != "draft")
Departments = one_of(DEPARTMENT_CHOICES)
PopulationBand = one_of(POPULATION_BANDS)
DxStaffBand = one_of(DX_STAFF_BANDS)
JisCode = Annotated[str, Field(pattern=r"^\d{5,6}$", max_length=6)]
Count = Annotated[int, Field(ge=0, le=100_000)]
Id = Annotated[int, Field(ge=1, le=2_000_000_000)]


def _tokyo_if_naive(value):
    # A time without an offset is what a person in the desk's office would type: Tokyo time.
    return value.replace(tzinfo=JST) if value.tzinfo is None else value


LocalDateTime = Annotated[datetime, AfterValidator(_tokyo_if_naive),
                          Field(description="ISO 8601; without an offset it is Asia/Tokyo time")]


# --- visits ---------------------------------------------------------------------------------

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


# --- push information -----------------------------------------------------------------------

class AnnouncementListQuery(Strict):
    status: ListedAnnouncementStatus | None = Field(
        None, description="liaisons, managers and admins only; recipients see sent ones")


class Targeting(BaseModel):
    target_all: bool
    region_ids: list[int]
    population_bands: list[str]
    dx_staff_bands: list[str]
    municipality_codes: list[str]
    departments: Departments


class DeliveryRow(BaseModel):
    municipality_code: str
    chat_status: str | None = Field(description="null when the municipality has no chat room")
    notified_users: int
    read_users: int


class AnnouncementOut(BaseModel):
    id: int
    title: str
    body: str
    category: str
    links: list[str]
    status: AnnouncementStatus
    scheduled_at: datetime | None
    sent_at: datetime | None
    read: bool | None = Field(description="for a recipient: whether the caller has read it")
    targeting: Targeting | None = Field(description="senders only")
    delivery: list[DeliveryRow] | None = Field(description="senders only")


class AnnouncementCreate(Strict):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)
    category: Category
    links: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=20)
    target_all: bool = False
    region_ids: list[Id] = Field(default_factory=list, max_length=20)
    population_bands: list[PopulationBand] = Field(default_factory=list, max_length=10)
    dx_staff_bands: list[DxStaffBand] = Field(default_factory=list, max_length=10)
    municipality_codes: list[JisCode] = Field(default_factory=list, max_length=41)
    departments: Departments = "info"
    scheduled_at: LocalDateTime | None = Field(None, description="send later; omit to send now")


# --- the caller's notifications -------------------------------------------------------------

class NotificationListQuery(Strict):
    order: Literal["newest", "unread_first"] = "newest"
    unread: bool = Field(False, description="only unread ones")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


class NotificationOut(BaseModel):
    id: int
    event_type: str
    title: str
    body: str
    link: str | None
    request_id: int | None
    announcement_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    unread_count: int
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end.")


class MarkedOut(BaseModel):
    marked: int
