"""API schemas for push information (announcements) and the caller's notifications."""
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ...models.announcement import ANNOUNCEMENT_CATEGORIES, ANNOUNCEMENT_STATES, DEPARTMENT_CHOICES
from ...models.org import DX_STAFF_BANDS, POPULATION_BANDS
from .common import Id, JisCode, LocalDateTime, Strict, one_of

Category = one_of(ANNOUNCEMENT_CATEGORIES)
AnnouncementStatus = one_of(ANNOUNCEMENT_STATES)
# Drafts are not listed through the API.
ListedAnnouncementStatus = one_of(s for s in ANNOUNCEMENT_STATES if s != "draft")
Departments = one_of(DEPARTMENT_CHOICES)
PopulationBand = one_of(POPULATION_BANDS)
DxStaffBand = one_of(DX_STAFF_BANDS)


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
