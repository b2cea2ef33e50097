"""Pydantic shapes of the sharing domain (shape only; rules that need the database are in the services)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govdata.types import Id, IsoDate, Timestamp


class ShareRequestCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)  # a text of spaces is no text

    code: str = Field(min_length=1, max_length=64, description="目录编码")
    fields: list[str] = Field(min_length=1, max_length=200, description="申请的信息项（子集）")
    duty: str = Field(min_length=2, max_length=2000, description="履职需要")
    legal_basis: str = Field(min_length=2, max_length=2000, description="法律依据")
    system_id: Id = Field(description="调用数据的本单位接入系统")
    valid_until: IsoDate = Field(description="使用期限（至）")
    daily_volume: int = Field(gt=0, le=10_000_000, description="预计日调用量")
    renewal_of_grant_id: Id | None = None


class OpinionIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)  # a text of spaces is no text

    version: Id
    agree: bool
    opinion: str = Field(min_length=2, max_length=2000)
    clear_fields: list[str] = Field(default=[], max_length=500,
                                    description="明文提供的信息项；其余信息项按各自的脱敏规则提供（第十七条）")
    clear_reason: str = Field(default="", max_length=2000,
                              description="明文提供 L3/L4 级信息项的理由（第二十一条；选了 L3/L4 级信息项时必填）")


class ReviewIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)  # a text of spaces is no text

    version: Id
    approve: bool
    note: str = Field(default="", max_length=2000)
    fields: list[str] | None = Field(default=None, description="批准的信息项（可少于申请）")
    valid_until: IsoDate | None = Field(default=None, description="批准的期限（可短于申请）")
    row_limit: int | None = Field(default=None, ge=1, le=1000,
                                  description="每次调用最多返回的记录数（默认 20；超出则拒绝并要求更精确的查询键）")


class VersionIn(BaseModel):
    version: Id


class ReasonIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)  # a text of spaces is no text

    reason: str = Field(min_length=2, max_length=2000)


class ShareRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_code: str
    unit_id: int
    provider_unit_id: int
    system_id: int
    share_type: str
    field_names: list[str]
    duty: str
    legal_basis: str
    valid_until: date
    daily_volume: int
    review_region_id: int | None
    status: str
    version: int
    submitted_at: Timestamp
    due_on: date | None
    due_estimated: bool
    opinion_agree: bool | None
    opinion: str
    decision_note: str
    approved_field_names: list[str]
    approved_until: date | None
    clear_field_names: list[str]
    clear_reason: str
    row_limit: int | None


class GrantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: int
    resource_code: str
    system_id: int
    unit_id: int
    provider_unit_id: int
    field_names: list[str]
    clear_field_names: list[str]
    key_field_names: list[str]
    row_limit: int
    daily_quota: int
    per_minute: int
    valid_from: date
    valid_until: date
    status: str
    status_reason: str
    agreement_hash: str


class AgreementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: int
    text: str
    content_hash: str
    consumer_accepted_at: Timestamp | None
    provider_accepted_at: Timestamp | None


class CredentialRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    system_id: int | None
    prefix: str
    name: str
    created_at: Timestamp
    expires_at: Timestamp
    revoked_at: Timestamp | None


class IssuedCredentialRead(BaseModel):
    token: str = Field(description="凭证明文，只显示这一次")
    credential: CredentialRead


class RecordsOut(BaseModel):
    records: list[dict[str, Any]]
