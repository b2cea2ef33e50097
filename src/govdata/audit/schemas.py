from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from govdata.types import IsoDate, Timestamp


class AuditFilter(BaseModel):
    """The audit page's and API's filters; dates are local (Asia/Shanghai) calendar days, inclusive."""

    unit_id: int | None = Field(default=None, description="the actor's unit or the unit whose data it touched")
    actor: str | None = Field(default=None, max_length=128)
    action: str | None = Field(default=None, max_length=64)
    resource_code: str | None = Field(default=None, max_length=64)
    since: IsoDate | None = None
    until: IsoDate | None = None
    outcome: str | None = Field(default=None, pattern="^(ok|denied|refused|limited|error)$")

    @model_validator(mode="after")
    def _range_in_order(self) -> AuditFilter:
        if self.since and self.until and self.until < self.since:
            raise ValueError("until 不能早于 since")
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
