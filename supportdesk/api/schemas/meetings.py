"""API schemas for meetings and forums: a meeting, its invitations (answers, attendance), the
minutes and the decisions / action items; answering an invitation."""
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from ...workflows.meetings import Answer, ItemKind, ItemStatus, MeetingStatus, OwnerKind, SeriesKind
from .common import Strict, one_of
from .library import PageQuery, Text

MeetingStatusName = one_of(MeetingStatus)
SeriesKindName = one_of(SeriesKind)
AnswerName = one_of(Answer)


class MeetingListQuery(PageQuery):
    pass


class MeetingSummary(BaseModel):
    id: int
    title: str
    series: str
    series_kind: SeriesKindName
    status: MeetingStatusName
    starts_at: datetime
    ends_at: datetime


class MeetingPage(BaseModel):
    items: list[MeetingSummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end.")


class InvitationOut(BaseModel):
    id: int
    municipality_code: str | None = Field(description="null for prefecture-side invitees")
    name: str
    level: str = Field(description="a contact role, info_dept or picked")
    answer: AnswerName | None
    substitute_name: str | None
    attended: bool | None = Field(description="recorded after the meeting")


class ItemOut(BaseModel):
    id: int
    kind: one_of(ItemKind)
    title: str
    owner_kind: one_of(OwnerKind)
    owner: str
    due_on: date
    status: one_of(ItemStatus)
    internal: bool
    close_note: str | None


class MeetingOut(MeetingSummary):
    venue: str | None
    online_url: str | None
    agenda: str | None
    answer_deadline: date
    minutes: str | None = Field(description="null until published, or when the caller may not "
                                            "read internal minutes")
    invitations: list[InvitationOut] = Field(
        description="the invitations the caller may read (a municipality: its own)")
    items: list[ItemOut]


class AnswerIn(Strict):
    answer: AnswerName
    substitute_name: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="required for proxy (代理出席)")
    note: Annotated[Text, Field(max_length=500)] | None = None
