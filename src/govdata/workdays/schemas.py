from __future__ import annotations

from pydantic import BaseModel, Field

from govdata.types import IsoDate


class OverrideCreate(BaseModel):
    day: IsoDate
    is_workday: bool
    note: str = Field(default="", max_length=128)


class DeadlineQuery(BaseModel):
    received: IsoDate
    n: int = Field(ge=0, le=366)
