"""Export approvals (第二十一条): a file that would hand over L4 values in clear is made only after another
authorised person of the approving unit (`security.export_kinds` says whose) approved it; one approval, one file."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata import clock
from govdata.storage.base import Base


class ApprovalStatus(StrEnum):
    PENDING = "pending"  # 待审批
    APPROVED = "approved"  # 已批准, the file not yet made
    REJECTED = "rejected"  # 未批准
    USED = "used"  # 已导出: the approved file was made


class ExportApproval(Base):
    __tablename__ = "security_export_approvals"
    __table_args__ = (Index("ix_security_export_approvals_target", "kind", "target_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # the approving unit: the entry's (batch_rejects), the downloader's own (comparison_diffs)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"))
    resource_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # what is exported: batch_rejects, comparison_diffs
    target_id: Mapped[int] = mapped_column(Integer)  # of that kind (a batch's id, a comparison run's id)
    fields: Mapped[str] = mapped_column(Text)  # the L4 fields (names) the file would hold in clear
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ApprovalStatus.PENDING.value)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_by_name: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_name: Mapped[str] = mapped_column(String(128), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    used_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def field_names(self) -> list[str]:
        return [n for n in self.fields.split(",") if n]
