"""Shapes of export approvals (第二十一条)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from govdata.types import Id, Timestamp


class ExportRequestIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    kind: str = Field(min_length=1, max_length=32,
                      description="导出类型：batch_rejects（汇聚批次未通过行）或 comparison_diffs（比对结果差异明细）")
    target_id: Id = Field(description="导出对象的编号（批次编号或比对结果编号）")
    purpose: str = Field(min_length=4, max_length=2000, description="导出用途")


class ExportDecisionIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    approve: bool
    note: str = Field(default="", max_length=2000, description="审批意见（不予批准时必填）")


class ExportApprovalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    resource_code: str
    kind: str
    target_id: int
    field_names: list[str]
    purpose: str
    status: str
    requested_by: int
    requested_by_name: str
    requested_at: Timestamp
    decided_by: int | None
    decided_by_name: str
    decided_at: Timestamp | None
    note: str
    used_at: Timestamp | None
