from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from stdnum.cn import uscc

from govdata.types import Id, IsoDate


class UnitCreate(BaseModel):
    code: str = Field(min_length=2, max_length=32, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=2, max_length=128)
    uscc: str = Field(min_length=18, max_length=18, description="统一社会信用代码")
    region_id: Id
    data_office: str = Field(default="", max_length=128)
    office_phone: str = Field(default="", max_length=32)

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        try:
            return str(uscc.validate(value))
        except Exception as exc:
            raise ValueError("统一社会信用代码校验失败") from exc


class UnitRead(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    code: str
    name: str
    uscc: str
    region_id: Id
    data_office: str
    office_phone: str


def _valid_after_assessment(value: date | None, info: ValidationInfo) -> date | None:
    """A field check (not a model check), so that it is reported along with the form's other errors."""
    start = info.data.get("assessment_date")
    if value and start and value < start:
        raise ValueError("不能早于测评日期")
    return value


class SystemCreate(BaseModel):
    unit_id: Id
    name: str = Field(min_length=2, max_length=128)
    assessment_level: int | None = Field(default=None, ge=1, le=5)
    assessment_report_no: str | None = Field(default=None, max_length=64)
    assessment_date: IsoDate | None = None
    assessment_valid_until: IsoDate | None = None

    _dates_in_order = field_validator("assessment_valid_until")(_valid_after_assessment)


class SystemRead(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    unit_id: int
    name: str
    assessment_level: int | None
    assessment_report_no: str | None
    assessment_date: date | None
    assessment_valid_until: date | None
    is_active: bool
    assessment_status: str = ""


class AssessmentUpdate(BaseModel):
    """A new 等保 assessment for a system (or clearing it: all fields empty)."""

    assessment_level: int | None = Field(default=None, ge=1, le=5)
    assessment_report_no: str | None = Field(default=None, max_length=64)
    assessment_date: IsoDate | None = None
    assessment_valid_until: IsoDate | None = None

    _dates_in_order = field_validator("assessment_valid_until")(_valid_after_assessment)


class RegionRead(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


class ContactRead(BaseModel):
    """A registered steward or unit head and how to reach them (第五条)."""

    id: int
    display_name: str
    roles: list[str]
    phone: str
    email: str


class UnitDetail(UnitRead):
    region_name: str
    contacts: list[ContactRead]
    systems: list[SystemRead]
