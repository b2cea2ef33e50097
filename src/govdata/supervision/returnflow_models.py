"""Return-flow applications (回流申请, 第九条): a unit's application to the upper-level body for the data of an
entry that comes from a provincial or national system, and the connector it is linked to once approved.

An entry "should come by return flow" when its catalog 汇聚方式 is `IngestMode.RETURN_FLOW`: that is how the
catalog marks data made by an upper-level system. One application per entry; a rejected one may be applied for
again, and the audit trail keeps every step.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata import clock
from govdata.catalog.models import CatalogEntry
from govdata.storage.base import Base


class ApplicationStatus(StrEnum):
    PLANNED = "planned"  # 拟申请
    APPLIED = "applied"  # 已申请
    APPROVED = "approved"  # 已批准
    REJECTED = "rejected"  # 已驳回


class UpperLevel(StrEnum):
    PROVINCE = "province"  # 省级
    NATIONAL = "national"  # 国家级


STATUS_LABELS = {ApplicationStatus.PLANNED: "拟申请", ApplicationStatus.APPLIED: "已申请",
                 ApplicationStatus.APPROVED: "已批准", ApplicationStatus.REJECTED: "已驳回"}
LEVEL_LABELS = {UpperLevel.PROVINCE: "省级", UpperLevel.NATIONAL: "国家级"}

# Which status may follow which (a rejected application may be applied for again; approval is final).
NEXT: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.PLANNED: frozenset({ApplicationStatus.PLANNED, ApplicationStatus.APPLIED}),
    ApplicationStatus.APPLIED: frozenset({ApplicationStatus.APPLIED, ApplicationStatus.APPROVED,
                                          ApplicationStatus.REJECTED}),
    ApplicationStatus.REJECTED: frozenset({ApplicationStatus.REJECTED, ApplicationStatus.APPLIED}),
    ApplicationStatus.APPROVED: frozenset({ApplicationStatus.APPROVED}),
}


class ReturnFlowApplication(Base):
    """The 回流 application of one entry: to whom (`upper_body`, at `upper_level`), through which interface,
    when applied, its status, the answer and its date, and the connector it is linked to once approved."""

    __tablename__ = "return_flow_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    upper_level: Mapped[str] = mapped_column(String(12))  # UpperLevel
    upper_body: Mapped[str] = mapped_column(String(200))  # e.g. 省公安厅
    interface: Mapped[str] = mapped_column(String(500))  # the upper system's interface asked for
    status: Mapped[str] = mapped_column(String(12), default=ApplicationStatus.PLANNED.value)
    applied_on: Mapped[date | None] = mapped_column(Date)
    answered_on: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    connector_id: Mapped[int | None] = mapped_column(ForeignKey("return_flow_connectors.id"))
    linked_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    entry: Mapped[CatalogEntry] = relationship(lazy="joined")

    @property
    def resource_code(self) -> str | None:
        return self.entry.code if self.entry else None

    @property
    def region_id(self) -> int | None:
        """The county of the entry's unit (a county office sees its county's applications)."""
        return self.entry.unit.region_id if self.entry else None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(ApplicationStatus(self.status), self.status)

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(UpperLevel(self.upper_level), self.upper_level)
