"""API schemas for requests: listing, reading, filing, editing, transitions, the conversation."""
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from ...models.support_request import AUDIENCES, KINDS, LECTURE_FORMATS, ORIGINS
from ...models.waiting import WaitingFor
from ...workflow import Action, State
from .common import Strict, catalogue_key, one_of

# Each list has one owner; tests/test_api_enums.py checks the document against these.
Kind = one_of(KINDS)
StateName = one_of(State)
Origin = one_of(ORIGINS)
ActionName = one_of(Action)
WaitingForName = one_of(WaitingFor)


class EventOut(BaseModel):
    at: datetime
    actor: str | None
    kind: str
    action: str | None
    from_state: StateName | None
    to_state: StateName | None
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
    waiting_for: WaitingForName | None = Field(
        description="Whom the desk waits for (the first-response clock is stopped), or null.")
    waiting_since: datetime | None
    updated_at: datetime
    version: int


class RequestOut(RequestSummary):
    origin: Origin
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
    info_dept_reached: bool | None = Field(
        description="Whether the share with the 情報部門 reached anyone; null when filed "
                    "through the 情報部門.")
    allowed_actions: list[ActionName]
    attachments: list["AttachmentOut"]
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


# --- Writes -------------------------------------------------------------------------------
# Strings never carry NUL (PostgreSQL text cannot store it); the pattern is in the document too.
Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]
HelpKind = catalogue_key("support_kind", 20)
Program = catalogue_key("lecture_menu", 20)
LectureFormat = one_of(LECTURE_FORMATS)
Audience = one_of(AUDIENCES)
Code = Annotated[str, Field(pattern=r"^\d{5,6}$")]
ThemeCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class CandidateDate(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self):
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class RequestFields(Strict):
    """Fields a filer may set; omitted fields are left as they are on PATCH."""
    body: Annotated[Text, Field(max_length=20000)] | None = None
    themes: list[ThemeCode] | None = Field(None, max_length=20, description="theme codes")
    help_wanted: list[HelpKind] | None = Field(None, max_length=4)
    urgent: bool | None = None
    needed_by: date | None = None
    program: Program | None = None
    formats: list[LectureFormat] | None = Field(None, max_length=3)
    audiences: list[Audience] | None = Field(None, max_length=3)
    expected_participants: int | None = Field(None, ge=1, le=100000)
    candidate_dates: list[CandidateDate] | None = Field(None, max_length=10)
    venue: Annotated[Text, Field(max_length=200)] | None = None
    online: bool | None = None
    co_municipality_codes: list[Code] | None = Field(None, max_length=41)
    prework: Annotated[Text, Field(max_length=20000)] | None = None
    parent_id: int | None = Field(None, ge=1, le=2_000_000_000,
                                  description="for accompaniment: the request it follows up")


class RequestCreate(RequestFields):
    kind: Kind
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    municipality_code: Code | None = Field(
        None, description="required for prefecture callers; staff file for their own")
    origin: Origin = "municipal"
    submit: bool = Field(False, description="true: submit at once (受付); false: keep a draft")


class RequestUpdate(RequestFields):
    title: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    submit: bool = Field(False, description="true: also submit a draft")


class TransitionIn(Strict):
    action: ActionName
    reason: Annotated[Text, Field(max_length=2000)] | None = None
    hold_until: date | None = Field(None, description="required for hold")


class CommentIn(Strict):
    body: Annotated[Text, Field(min_length=1, max_length=20000)]
    internal: bool = Field(False, description="an internal note (prefecture side only)")


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    purpose: str
    internal: bool
    uploaded_at: datetime


RequestOut.model_rebuild()
