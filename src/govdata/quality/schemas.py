"""Pydantic shapes of the quality API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govdata.types import Timestamp


class FieldRulesIn(BaseModel):
    rules: dict[str, list[dict[str, Any]]]  # field name -> rule objects


class CodeTableIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-/ ]+$")
    name: str = Field(min_length=1, max_length=128)
    standard: str = Field(default="", max_length=64)
    description: str = ""
    values: list[tuple[str, str]] = Field(default_factory=list)  # (value, label)


class CorrectionCreate(BaseModel):
    resource_code: str = Field(min_length=1, max_length=64)
    key: dict[str, str]
    field: str = Field(min_length=1, max_length=64)
    value_seen: str = Field(default="", max_length=2000)
    value_proposed: str = Field(min_length=1, max_length=2000)
    evidence: str = Field(min_length=1, max_length=4000)


class CorrectionAnswer(BaseModel):
    fix: bool
    answer: str = Field(min_length=1, max_length=4000)
    value: str | None = Field(default=None, max_length=2000)  # the value written when fixing (default: proposed)


class CorrectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    record_key: dict[str, Any]
    field: str
    value_seen: str
    value_proposed: str
    evidence: str
    source: str
    reporter_name: str
    status: str
    due_on: date
    answer: str
    value_fixed: str | None
    answered_by: str | None
    answered_at: Timestamp | None
    created_at: Timestamp
    current_value: str | None = None


class ComparisonCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    left_code: str
    right_code: str
    key_pairs: list[tuple[str, str]] = Field(min_length=1)
    field_pairs: list[tuple[str, str]] = Field(default_factory=list)
    threshold: float = Field(default=0.99, ge=0, le=1)
    is_scheduled: bool = False


class ComparisonRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    comparison_id: int
    left_rows: int
    right_rows: int
    matched: int
    equal: int
    only_left: int
    only_right: int
    field_diffs: dict[str, int]
    ratio: float
    passed: bool
    seconds: float
    created_at: Timestamp


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    entry_id: int
    kind: str
    batch_id: int | None
    rows_checked: int
    rows_rejected: int
    completeness: float
    validity: float
    uniqueness: float
    consistency: float
    timeliness: float
    score: float
    results: list[dict[str, Any]]
    created_at: Timestamp
