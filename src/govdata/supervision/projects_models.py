"""IT projects (信息化项目, 第六、二十八条): the register, each project's declared data assets, and the record of
every acceptance check.

A project moves 可研/初设 → 建设 → 验收 → 运维, one step at a time and never back. At 可研/初设 it declares the
data assets it will make; each is later linked to a catalog entry of the project's own unit. The acceptance check
passes only when every asset's entry is registered and its aggregated data is fresh (`datastore.freshness`); the
last check decides whether the project may receive operating funds (`funds`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata import clock
from govdata.storage.base import Base


class Stage(StrEnum):
    FEASIBILITY = "feasibility"  # 可研/初设
    CONSTRUCTION = "construction"  # 建设
    ACCEPTANCE = "acceptance"  # 验收
    OPERATION = "operation"  # 运维


STAGES = list(Stage)
STAGE_LABELS = {Stage.FEASIBILITY: "可研/初设", Stage.CONSTRUCTION: "建设", Stage.ACCEPTANCE: "验收",
                Stage.OPERATION: "运维"}


class Funds(StrEnum):
    """Whether the project may receive operating funds, as its last acceptance check left it."""

    UNCHECKED = "unchecked"  # no check yet
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"  # 不具备运维经费条件


FUNDS_LABELS = {Funds.UNCHECKED: "尚未检查", Funds.ELIGIBLE: "具备运维经费条件",
                Funds.INELIGIBLE: "不具备运维经费条件"}


def stage_label(code: str) -> str:
    try:
        return STAGE_LABELS[Stage(code)]
    except ValueError:
        return code


def funds_label(code: str) -> str:
    try:
        return FUNDS_LABELS[Funds(code)]
    except ValueError:
        return code


class Project(Base):
    __tablename__ = "supervision_projects"
    __table_args__ = (UniqueConstraint("unit_id", "name"), Index("ix_supervision_projects_region", "region_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))  # the unit's county (or the city): scope
    name: Mapped[str] = mapped_column(String(200))
    budget: Mapped[Decimal] = mapped_column(Numeric(16, 2))  # 元
    stage: Mapped[str] = mapped_column(String(16), default=Stage.FEASIBILITY.value)
    funds: Mapped[str] = mapped_column(String(16), default=Funds.UNCHECKED.value)
    last_check_id: Mapped[int | None] = mapped_column(Integer)  # the check that decided `funds`
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    assets: Mapped[list[DataAsset]] = relationship(back_populates="project", order_by="DataAsset.id",
                                                   lazy="selectin")

    @property
    def stage_label(self) -> str:
        return stage_label(self.stage)

    @property
    def funds_label(self) -> str:
        return funds_label(self.funds)


class DataAsset(Base):
    """A 数据资产 the project declared (name, description, expected update cycle), and the entry it became."""

    __tablename__ = "supervision_project_assets"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("supervision_projects.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the project's unit
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    update_cycle: Mapped[str] = mapped_column(String(16))  # as the catalog's `update_cycle`
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"), index=True)
    declared_by: Mapped[str] = mapped_column(String(100))
    declared_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    linked_by: Mapped[str | None] = mapped_column(String(100))
    linked_at: Mapped[datetime | None] = mapped_column(DateTime)

    project: Mapped[Project] = relationship(back_populates="assets")


class AcceptanceCheck(Base):
    """One acceptance check: who ran it, when, why (moving to 验收, or on demand), its outcome and what was missing
    (JSON: a list of {asset_id, asset, problems: [Chinese sentences]})."""

    __tablename__ = "supervision_project_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("supervision_projects.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    checked_by: Mapped[str] = mapped_column(String(100))
    checked_role: Mapped[str] = mapped_column(String(32), default="")
    trigger: Mapped[str] = mapped_column(String(16))  # stage | demand
    passed: Mapped[bool] = mapped_column(Boolean)
    assets: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[str] = mapped_column(Text, default="[]")
