"""Confidentiality agreements in and out (the file travels beside these, as an upload)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from govdata.errors import FieldProblem
from govdata.types import Id, IsoDate, Timestamp, plain_text
from govdata.vendors.models import VendorAgreement


class VendorAgreementCreate(BaseModel):
    """A signed agreement to record: whose account, which company, for which unit, covering what, until when."""

    vendor_user_id: int = Field(ge=1, le=2**31 - 1)
    company: str = Field(min_length=2, max_length=200)
    unit_id: int = Field(ge=1, le=2**31 - 1)  # the contracting unit
    signed_by: str = Field(min_length=1, max_length=128)
    unit_ids: list[Id] = Field(default_factory=list, max_length=100)  # every resource of these units
    entry_codes: list[str] = Field(default_factory=list, max_length=200)  # these resources only
    valid_from: IsoDate
    valid_until: IsoDate

    @field_validator("company", "signed_by", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value)

    @field_validator("unit_ids")
    @classmethod
    def _unit_ids(cls, value: list[int]) -> list[int]:
        if any(not 1 <= v < 2**31 for v in value):
            raise ValueError("单位编号不存在")
        return list(dict.fromkeys(value))

    @field_validator("entry_codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(c for c in map(plain_text, value) if c))

    @model_validator(mode="after")
    def _scope_and_period(self) -> VendorAgreementCreate:
        if not self.unit_ids and not self.entry_codes:
            raise FieldProblem("请至少指定一个单位或一项数据资源", field="unit_ids")
        if self.valid_until < self.valid_from:
            raise FieldProblem("有效期截止日不能早于起始日", field="valid_until")
        return self


class VendorAgreementEnd(BaseModel):
    reason: str = Field(min_length=2, max_length=2000)

    @field_validator("reason", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value.replace("\r\n", "\n").replace("\t", " ")) if isinstance(value, str) else value


class ScopeItemRead(BaseModel):
    unit_id: int
    unit_name: str
    entry_id: int | None
    resource_code: str | None
    resource_name: str | None


class VendorAgreementRead(BaseModel):
    id: int
    number: str
    vendor_user_id: int
    vendor_username: str
    company: str
    unit_id: int
    unit_name: str
    signed_by: str
    valid_from: IsoDate
    valid_until: IsoDate
    status: str
    state: str  # in_force / not_yet / expired / ended, as of today
    scope: list[ScopeItemRead]
    file_name: str
    file_type: str
    file_size: int
    file_sha256: str
    created_by: str
    created_at: Timestamp
    ended_by: str
    ended_at: Timestamp | None
    end_reason: str

    @classmethod
    def of(cls, agreement: VendorAgreement, today: date) -> VendorAgreementRead:
        scope = [ScopeItemRead(unit_id=i.unit_id, unit_name=i.unit.name, entry_id=i.entry_id,
                               resource_code=i.entry.code if i.entry else None,
                               resource_name=i.entry.name if i.entry else None) for i in agreement.scope_items]
        return cls(id=agreement.id, number=agreement.number, vendor_user_id=agreement.vendor_user_id,
                   vendor_username=agreement.vendor.username, company=agreement.company, unit_id=agreement.unit_id,
                   unit_name=agreement.unit.name, signed_by=agreement.signed_by, valid_from=agreement.valid_from,
                   valid_until=agreement.valid_until, status=agreement.status, state=agreement.state(today).value,
                   scope=scope, file_name=agreement.file_name, file_type=agreement.file_type,
                   file_size=agreement.file_size, file_sha256=agreement.file_sha256, created_by=agreement.created_by,
                   created_at=agreement.created_at, ended_by=agreement.ended_by, ended_at=agreement.ended_at,
                   end_reason=agreement.end_reason)
