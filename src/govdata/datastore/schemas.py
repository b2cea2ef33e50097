"""Pydantic shapes of the aggregation API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from govdata.datastore.ingest import BatchResult
from govdata.types import Timestamp


class RejectedRow(BaseModel):
    line: int
    field: str
    reason: str


class BatchResultRead(BaseModel):
    batch_id: int | None
    status: str
    mode: str
    total: int
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    rejected: int
    duration_ms: float
    message: str
    replayed: bool
    rejected_rows: list[RejectedRow]

    @classmethod
    def of(cls, result: BatchResult) -> BatchResultRead:
        return cls(batch_id=result.batch_id, status=result.status, mode=result.mode, total=result.total,
                   inserted=result.inserted, updated=result.updated, unchanged=result.unchanged,
                   deleted=result.deleted, rejected=result.rejected, duration_ms=result.duration_ms,
                   message=result.message, replayed=result.replayed,
                   rejected_rows=[RejectedRow(line=p.line, field=p.field, reason=p.reason) for p in result.problems])


class BatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    entry_id: int
    source: str
    mode: str
    status: str
    actor_name: str
    file_name: str
    started_at: Timestamp
    finished_at: Timestamp | None
    duration_ms: float
    total: int
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    rejected: int
    message: str


class RecordsRead(BaseModel):
    records: list[dict[str, Any]]


class HistoryRead(BaseModel):
    history: list[dict[str, Any]]
