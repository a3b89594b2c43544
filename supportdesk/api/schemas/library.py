"""API schemas for the case library (事例), support actions (支援の記録) and expert suggestions."""
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from .common import Id, Strict, catalogue_key

SupportActionKind = catalogue_key("support_kind", 20)
ExpertKind = catalogue_key("expert_kind", 30)
# Strings never carry NUL (PostgreSQL text cannot store it).
Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]
ThemeCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class PageQuery(Strict):
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


class CaseListQuery(PageQuery):
    q: Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")] | None = Field(
        None, description="words in title, organisation or summary")
    theme: ThemeCode | None = Field(None, description="theme code")


class CaseOut(BaseModel):
    id: int
    title: str
    organisation: str
    theme: str | None = Field(description="theme code")
    summary: str
    source: str | None
    url: str | None
    from_request_id: int | None = Field(
        description="null when the caller may not see the request")
    created_at: datetime


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end.")


class CaseCreate(Strict):
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    organisation: Annotated[Text, Field(min_length=1, max_length=100)]
    summary: Annotated[Text, Field(min_length=1, max_length=20_000)]
    theme: ThemeCode | None = Field(None, description="theme code")
    source: Annotated[Text, Field(max_length=200)] | None = None
    url: Annotated[Text, Field(max_length=500)] | None = Field(None, description="http(s) only")
    from_request_id: Id | None = Field(None, description="a closed request this case comes from")


class SupportActionOut(BaseModel):
    id: int
    request_id: int
    kind: SupportActionKind
    target_department: str | None
    target_municipality_code: str | None
    case_id: int | None
    vendor_name: str | None
    note: str | None
    actor: str
    at: datetime


class SupportActionIn(Strict):
    kind: SupportActionKind
    target_department: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="bridge: the prefectural department")
    target_municipality_code: Annotated[str, Field(pattern=r"^\d{5,6}$")] | None = Field(
        None, description="bridge: the front-runner municipality")
    case_id: Id | None = Field(None, description="case: the library case introduced")
    vendor_name: Annotated[Text, Field(max_length=200)] | None = Field(
        None, description="vendor: the vendor introduced")
    note: Annotated[Text, Field(max_length=20_000)] | None = None


class ExpertSuggestionOut(BaseModel):
    user_id: int
    display_name: str
    kind: ExpertKind
    theme_fit: int = Field(description="themes shared with the request")
    matched_themes: list[str]
    same_region: bool
    open_load: int = Field(description="open requests the expert is on")
    reasons: list[str]
