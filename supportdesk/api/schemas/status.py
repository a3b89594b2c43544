"""API schemas of the DX status tracker and the standardisation progress."""
from datetime import date, datetime

from pydantic import BaseModel, Field

from ...models.standardisation import MIGRATION_STATES
from ...models.status import ITEM_GROUPS, ITEM_TYPES, SOURCE_KINDS
from .common import Strict, one_of

ItemTypeName = one_of(ITEM_TYPES)
ItemGroupName = one_of(ITEM_GROUPS)
SourceKindName = one_of(SOURCE_KINDS)
MigrationStateName = one_of(MIGRATION_STATES)


class StatusItemOut(BaseModel):
    key: str
    label_ja: str
    label_en: str
    item_type: ItemTypeName
    item_group: ItemGroupName
    steps: list[str] | None = Field(description="for a step item: the steps' labels, lowest "
                                                "first (a value is the step's index)")
    active: bool


class StatusValueOut(BaseModel):
    municipality_code: str
    item_key: str
    value: int | float | bool | date | str = Field(
        description="a step's index, a yes/no, a percentage, a date or a text, by item_type")
    display: str = Field(description="the value in words (a step's label, はい/いいえ, 45%)")
    as_of: date
    source_kind: SourceKindName
    source_ref: str | None
    set_at: datetime
    set_by: str | None


class SystemMigrationOut(BaseModel):
    municipality_code: str
    system_code: str = Field(description="one of the 20 standardised systems")
    system_name: str
    status: MigrationStateName
    planned_on: date | None
    migrated_on: date | None
    special_support: bool = Field(description="特定移行支援システム")
    vendor: str | None
    line_contracted: bool = Field(description="the government-cloud connection line")
    overdue: bool = Field(description="planned date passed, not migrated")
    as_of: date
    source_kind: SourceKindName
    set_at: datetime


class StatusValueQuery(Strict):
    item: str | None = Field(None, max_length=40, description="one item's key")
    region: int | None = Field(None, ge=1, description="one region's id")
