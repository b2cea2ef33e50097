from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from govdata.errors import FieldProblem
from govdata.types import Id, IsoDate, Timestamp


class AuditFilter(BaseModel):
    """The audit page's and API's filters; dates are local (Asia/Shanghai) calendar days, inclusive."""

    unit_id: Id | None = Field(default=None, description="the actor's unit or the unit whose data it touched")
    actor: str | None = Field(default=None, max_length=128)
    action: str | None = Field(default=None, max_length=64)
    resource_code: str | None = Field(default=None, max_length=64)
    since: IsoDate | None = None
    until: IsoDate | None = None
    outcome: str | None = Field(default=None, pattern="^(ok|denied|refused|limited|error)$")

    @model_validator(mode="after")
    def _range_in_order(self) -> AuditFilter:
        if self.since and self.until and self.until < self.since:
            raise FieldProblem("截止日期不能早于起始日期", field="until")
        return self


class AuditEventRead(BaseModel):
    seq: int
    at: Timestamp
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


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


# A time in a seal export: written in UTC with a Z (`Timestamp`), read with any offset (or none: UTC, as stored)
# and kept as naive UTC. The signature covers the moment, not how the file writes it.
SealTime = Annotated[Timestamp, AfterValidator(_naive_utc)]


class SealRecord(BaseModel):
    """One seal or purge checkpoint as exported (`audit.sealing`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Literal["seal", "checkpoint"]
    seq: int = Field(ge=1)
    hash: str = Field(pattern="^[0-9a-f]{64}$")
    sealed_at: SealTime
    key_id: str = Field(pattern="^[0-9a-f]{16}$")
    signature: str = Field(pattern="^[0-9a-f]{128}$")


class SealKeyRecord(BaseModel):
    key_id: str = Field(pattern="^[0-9a-f]{16}$")
    public_key: str = Field(pattern="^[0-9a-f]{64}$", description="Ed25519, 32 bytes in hex")


class SealFile(BaseModel):
    """`govdata audit seal export FILE`: every seal and the public keys that signed them, to keep elsewhere."""

    format: Literal["govdata-audit-seals/1"] = "govdata-audit-seals/1"
    exported_at: SealTime
    public_keys: list[SealKeyRecord]
    seals: list[SealRecord]
