from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class OverrideCreate(BaseModel):
    day: date
    is_workday: bool
    note: str = Field(default="", max_length=128)


class DeadlineQuery(BaseModel):
    received: date
    n: int = Field(ge=0, le=366)
