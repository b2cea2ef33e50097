"""Emergency switches in and out (第二十一条 应急处置)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from govdata.errors import FieldProblem
from govdata.security.switch_models import EmergencySwitch
from govdata.types import Timestamp, plain_text

Kind = Literal["platform", "system", "provider", "consumer", "resource"]


def _reason(value: Any) -> Any:
    return plain_text(value.replace("\r\n", "\n").replace("\t", " ")) if isinstance(value, str) else value


class SwitchSet(BaseModel):
    """Switch on: what to stop (`kind`; `object_id` names the system, the unit or the catalog entry by its id,
    none for `platform`) and why."""

    kind: Kind
    object_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    reason: str = Field(min_length=2, max_length=2000)

    @field_validator("reason", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return _reason(value)

    @model_validator(mode="after")
    def _object(self) -> SwitchSet:
        if self.kind == "platform" and self.object_id is not None:
            raise FieldProblem("全平台暂停不指定对象", field="object_id")
        if self.kind != "platform" and self.object_id is None:
            raise FieldProblem("请选择要暂停的对象", field="object_id")
        return self


class SwitchLift(BaseModel):
    """Switch off, with the reason (the emergency is over, what was done)."""

    reason: str = Field(min_length=2, max_length=2000)

    @field_validator("reason", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return _reason(value)


class SwitchRead(BaseModel):
    id: int
    kind: str
    kind_label: str
    object_id: int | None
    object_name: str
    reason: str
    in_force: bool
    set_by: str
    set_at: Timestamp
    lifted_by: str
    lifted_at: Timestamp | None
    lift_reason: str

    @classmethod
    def of(cls, switch: EmergencySwitch) -> SwitchRead:
        return cls(id=switch.id, kind=switch.kind, kind_label=switch.kind_label, object_id=switch.object_id,
                   object_name=switch.object_name, reason=switch.reason, in_force=switch.in_force,
                   set_by=switch.set_by, set_at=switch.set_at, lifted_by=switch.lifted_by,
                   lifted_at=switch.lifted_at, lift_reason=switch.lift_reason)
