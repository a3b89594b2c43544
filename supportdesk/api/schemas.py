"""API schemas (pydantic): they validate input and generate the OpenAPI document."""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["consultation", "lecture", "accompaniment"]
StateName = Literal["draft", "submitted", "triage", "expert_selection", "scheduled", "delivered",
                    "answered", "closed", "on_hold", "withdrawn", "declined"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegionOut(BaseModel):
    id: int
    name: str
    has_liaison: bool


class MunicipalityOut(BaseModel):
    code: str
    name: str
    kana: str
    kind: str
    region: str
    population_band: str | None
    dx_staff_band: str | None
    cio_appointed: bool
    dx_plan_in_place: bool
    dx_step: int | None


class ThemeOut(BaseModel):
    id: int
    code: str
    name_ja: str
    name_en: str


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: str
    municipality_code: str | None
    scope: Literal["read", "write"]


class EventOut(BaseModel):
    at: datetime
    actor: str | None
    kind: str
    action: str | None
    from_state: str | None
    to_state: str | None
    data: dict | None
    note: str | None


class CommentOut(BaseModel):
    id: int
    at: datetime
    author: str
    body: str
    internal: bool


class RequestSummary(BaseModel):
    id: int
    number: str | None
    kind: Kind
    state: StateName
    title: str
    municipality_code: str
    region: str
    submitted_at: datetime | None
    first_response_due_at: datetime | None
    updated_at: datetime
    version: int


class RequestOut(RequestSummary):
    origin: Literal["municipal", "push"]
    body: str
    themes: list[str]
    help_wanted: list[str] | None
    urgent: bool
    needed_by: date | None
    program: str | None
    formats: list[str] | None
    audiences: list[str] | None
    expected_participants: int | None
    venue: str | None
    online: bool
    co_municipality_codes: list[str]
    filed_outside_info_dept: bool
    allowed_actions: list[str]
    history: list[EventOut]
    conversation: list[CommentOut]


class RequestPage(BaseModel):
    items: list[RequestSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end.")


class RequestListQuery(Strict):
    state: StateName | None = None
    kind: Kind | None = None
    municipality: str | None = Field(None, pattern=r"^\d{5,6}$", description="JIS code")
    region_id: int | None = Field(None, ge=1, le=2_000_000_000)
    theme: str | None = Field(None, max_length=40, description="theme code")
    q: str | None = Field(None, max_length=200, description="text in title, body or replies")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)
