from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator


class AuditFilter(BaseModel):
    """The audit page's and API's filters; dates are local (Asia/Shanghai) calendar days, inclusive."""

    unit_id: int | None = Field(default=None, description="the actor's unit or the unit whose data it touched")
    actor: str | None = Field(default=None, max_length=128)
    action: str | None = Field(default=None, max_length=64)
    resource_code: str | None = Field(default=None, max_length=64)
    since: date | None = None
    until: date | None = None
    outcome: str | None = Field(default=None, pattern="^(ok|denied|refused|limited|error)$")

    @model_validator(mode="after")
    def _range_in_order(self) -> AuditFilter:
        if self.since and self.until and self.until < self.since:
            raise ValueError("until 不能早于 since")
        return self


class AuditEventRead(BaseModel):
    seq: int
    at: datetime
    actor_type: str
    actor_id: int | None
    actor_name: str
    role: str
    unit_id: int | None
    owner_unit_id: int | None
    action: str
    target_type: str | None
    target_id: str | None
    resource_code: str | None
    purpose: str | None
    approver: str | None
    operator: str | None
    method: str
    medium: str
    client_addr: str | None
    outcome: str
    row_count: int | None
    details: dict[str, Any]
    hash: str


class AuditPage(BaseModel):
    events: list[AuditEventRead]
    next_before_seq: int | None


class AuditFeed(BaseModel):
    events: list[AuditEventRead]
    next_cursor: int


def _utc_text(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S.%f}Z"


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


# A time in a seal export: read with any offset and kept as naive UTC (as stored), written in UTC with a Z.
UtcTime = Annotated[datetime, AfterValidator(_naive_utc), PlainSerializer(_utc_text, return_type=str)]


class SealRecord(BaseModel):
    """One seal or purge checkpoint as exported (`audit.sealing`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Literal["seal", "checkpoint"]
    seq: int = Field(ge=1)
    hash: str = Field(pattern="^[0-9a-f]{64}$")
    sealed_at: UtcTime
    key_id: str = Field(pattern="^[0-9a-f]{16}$")
    signature: str = Field(pattern="^[0-9a-f]{128}$")


class SealKeyRecord(BaseModel):
    key_id: str = Field(pattern="^[0-9a-f]{16}$")
    public_key: str = Field(pattern="^[0-9a-f]{64}$", description="Ed25519, 32 bytes in hex")


class SealFile(BaseModel):
    """`govdata audit seal export FILE`: every seal and the public keys that signed them, to keep elsewhere."""

    format: Literal["govdata-audit-seals/1"] = "govdata-audit-seals/1"
    exported_at: UtcTime
    public_keys: list[SealKeyRecord]
    seals: list[SealRecord]
