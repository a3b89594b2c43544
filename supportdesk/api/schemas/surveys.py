"""API schemas for surveys (調査・照会) and the municipalities' answers."""
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from ...models.survey import QUESTION_KINDS
from ...workflows.surveys import SurveyStatus
from .common import one_of
from .library import PageQuery

SurveyStatusName = one_of(SurveyStatus)
QuestionKind = one_of(QUESTION_KINDS)


class SurveyListQuery(PageQuery):
    pass


class SurveySummary(BaseModel):
    id: int
    title: str
    status: SurveyStatusName
    deadline: date = Field(description="the last day (Tokyo) on which answers are in time")
    opened_at: datetime | None


class SurveyPage(BaseModel):
    items: list[SurveySummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end.")


class QuestionOut(BaseModel):
    id: int
    position: int
    kind: QuestionKind
    label: str
    help_text: str | None
    required: bool
    options: list[str] | None = Field(description="choices, or a table's column names")
    status_item_key: str | None = Field(description="the DX status item an answer updates")


class SurveyOut(SurveySummary):
    purpose: str
    questions: list[QuestionOut]
    municipality_codes: list[str] = Field(
        description="the municipalities it was sent to (a municipal caller: only its own)")


class AnswerOut(BaseModel):
    municipality_code: str
    municipality: str
    version: int = Field(description="how many times it was submitted (corrections count)")
    submitted_at: datetime
    late: bool = Field(description="the latest version came after the deadline")
    answers: dict[str, Any] = Field(
        description="question id -> value of the latest submitted version (numbers, strings, "
                    "lists of choices, table rows, or {file_id, filename})")


class AnswerPage(BaseModel):
    items: list[AnswerOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end.")
