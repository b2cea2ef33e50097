"""Return-flow applications in and out, and an area's summary of the entries that should come by return flow."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govdata.supervision.returnflow_models import ApplicationStatus, ReturnFlowApplication, UpperLevel
from govdata.types import IsoDate, Timestamp, plain_text


class ApplicationIn(BaseModel):
    """What a unit records of its 回流 application: the whole of it, each time (the status says which step)."""

    model_config = ConfigDict(extra="forbid")

    upper_level: UpperLevel
    upper_body: str = Field(min_length=2, max_length=200)
    interface: str = Field(min_length=2, max_length=500)
    status: ApplicationStatus
    applied_on: IsoDate | None = None
    answered_on: IsoDate | None = None
    answer: str = Field(default="", max_length=2000)

    @field_validator("upper_body", "interface", "answer", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return plain_text(value)


class ApplicationRead(BaseModel):
    id: int
    entry_id: int
    resource_code: str | None
    unit_id: int
    upper_level: str
    upper_level_label: str
    upper_body: str
    interface: str
    status: str
    status_label: str
    applied_on: IsoDate | None
    answered_on: IsoDate | None
    answer: str
    connector_id: int | None
    linked_at: Timestamp | None
    updated_by: str
    updated_at: Timestamp

    @classmethod
    def of(cls, a: ReturnFlowApplication) -> ApplicationRead:
        return cls(id=a.id, entry_id=a.entry_id, resource_code=a.resource_code, unit_id=a.unit_id,
                   upper_level=a.upper_level, upper_level_label=a.level_label, upper_body=a.upper_body,
                   interface=a.interface, status=a.status, status_label=a.status_label, applied_on=a.applied_on,
                   answered_on=a.answered_on, answer=a.answer, connector_id=a.connector_id, linked_at=a.linked_at,
                   updated_by=a.updated_by, updated_at=a.updated_at)


class UnitReturnFlowRead(BaseModel):
    unit_id: int
    unit_name: str
    region_id: int
    region_name: str
    entries: int  # entries that should come by return flow
    planned: int
    applied: int
    approved: int
    rejected: int
    connectors: int
    missing: int  # neither an application nor a connector


class GapRead(BaseModel):
    entry_id: int
    resource_code: str | None
    name: str
    unit_id: int
    unit_name: str


class ReturnFlowSummaryRead(BaseModel):
    area: str
    units: list[UnitReturnFlowRead]
    total: UnitReturnFlowRead
    missing: list[GapRead]
