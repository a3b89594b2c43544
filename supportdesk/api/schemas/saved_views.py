"""API schemas for the caller's saved queue views (受付キューの保存ビュー)."""
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from .common import Strict


class SavedViewOut(BaseModel):
    id: int
    name: str
    query: str = Field(description="the queue's query string, e.g. state=submitted&overdue=1")
    created_at: datetime


class SavedViewIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[^\x00]*$")] = Field(
        description="saving under an existing name overwrites that view")
    query: Annotated[str, Field(max_length=1000, pattern=r"^[^\x00]*$")] = ""
