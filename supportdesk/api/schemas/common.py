"""API schemas shared by every part of the API: the Literal builder, strict input, reference
data and the caller."""
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ...models.api_token import TOKEN_SCOPES
from ...models.user import ROLES
from ...timeutil import JST


def one_of(values):
    """A Literal of the codes an owner (an enum or a model's table) declares: the schema and the
    OpenAPI document follow it, so they cannot disagree with the code."""
    return Literal[tuple(str(v) for v in values)]


def catalogue_key(list_name, width=30):
    """A key of a programme catalogue list (models/catalogue.py). The catalogue is data an admin
    edits, so the service checks the value; the document lists the keys offered when it is
    served (openapi.py fills "enum" where it finds x-catalogue)."""
    return Annotated[str, Field(min_length=1, max_length=width, pattern=r"^[^\s\x00]+$",
                                json_schema_extra={"x-catalogue": list_name})]


RoleName = one_of(ROLES)
TokenScope = one_of(TOKEN_SCOPES)
JisCode = Annotated[str, Field(pattern=r"^\d{5,6}$", max_length=6)]
Count = Annotated[int, Field(ge=0, le=100_000)]
Id = Annotated[int, Field(ge=1, le=2_000_000_000)]


def _tokyo_if_naive(value):
    # A time without an offset is what a person in the desk's office would type: Tokyo time.
    return value.replace(tzinfo=JST) if value.tzinfo is None else value


LocalDateTime = Annotated[datetime, AfterValidator(_tokyo_if_naive),
                          Field(description="ISO 8601; without an offset it is Asia/Tokyo time")]


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
    role: RoleName
    municipality_code: str | None
    scope: TokenScope
