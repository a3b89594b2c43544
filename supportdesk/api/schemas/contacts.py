"""API schemas for the contact directory (連絡先) of the municipalities."""
from datetime import date

from pydantic import BaseModel, Field

from ...workflows.contacts import ContactRole
from .common import one_of
from .library import PageQuery

ContactRoleName = one_of(ContactRole)


class MunicipalContactQuery(PageQuery):
    municipality: str | None = Field(None, pattern=r"^\d{5,6}$", description="JIS code")
    role: ContactRoleName | None = Field(None, description="contact role")
    on: date | None = Field(None, description="only those in office on this day (YYYY-MM-DD)")


class MunicipalContactOut(BaseModel):
    id: int
    municipality_code: str
    role: ContactRoleName
    name: str
    kana: str | None
    title: str | None
    department: str | None
    email: str | None
    phone: str | None
    valid_from: date
    valid_to: date | None = Field(description="the last day in the role; null while in office")
    has_account: bool


class MunicipalContactPage(BaseModel):
    items: list[MunicipalContactOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end.")
