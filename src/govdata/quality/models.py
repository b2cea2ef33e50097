"""Quality tables: code tables, reports, comparisons and their runs, corrections."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from govdata import clock
from govdata.catalog.models import CatalogEntry
from govdata.storage.base import Base


class CodeTable(Base):
    """A registry of allowed codes (代码表) the center edits, e.g. GB/T 2261.1 性别."""

    __tablename__ = "quality_code_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # referenced by rules: {"type": "code", "table": code}
    name: Mapped[str] = mapped_column(String(128))
    standard: Mapped[str] = mapped_column(String(64), default="")  # e.g. "GB/T 2261.1-2003"
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, onupdate=clock.now)

    values: Mapped[list[CodeValue]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="CodeValue.value", back_populates="table"
    )


class CodeValue(Base):
    __tablename__ = "quality_code_values"
    __table_args__ = (UniqueConstraint("table_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("quality_code_tables.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(128))

    table: Mapped[CodeTable] = relationship(back_populates="values")


class ReportKind(StrEnum):
    BATCH = "batch"
    SCAN = "scan"


class QualityReport(Base):
    """The outcome of checking a batch or a whole resource: per-rule failures and five scores (0..1)."""

    __tablename__ = "quality_reports"
    __table_args__ = (Index("ix_quality_reports_entry_at", "entry_id", "created_at"),
                      Index("ix_quality_reports_unit_at", "unit_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(8))  # ReportKind
    batch_id: Mapped[int | None] = mapped_column(Integer)
    rows_checked: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)  # refused at the way in (batch reports)
    completeness: Mapped[float] = mapped_column(Float, default=1.0)
    validity: Mapped[float] = mapped_column(Float, default=1.0)
    uniqueness: Mapped[float] = mapped_column(Float, default=1.0)
    consistency: Mapped[float] = mapped_column(Float, default=1.0)
    timeliness: Mapped[float] = mapped_column(Float, default=1.0)
    score: Mapped[float] = mapped_column(Float, default=1.0)
    results: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of RuleResult
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class Comparison(Base):
    """A standing 比对: two resources joined on key fields, some fields compared, a pass threshold."""

    __tablename__ = "quality_comparisons"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # who set it up (None = bureau)
    left_entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"))
    right_entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"))
    key_pairs: Mapped[str] = mapped_column(Text)  # JSON [[left field, right field], ...]
    field_pairs: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[left field, right field], ...]
    threshold: Mapped[float] = mapped_column(Float, default=0.99)  # min share of left rows matched and equal
    is_scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    # The units of the two resources, read with the row (and usable in queries): who may see the comparison
    # is the policy's `comparison.view`, which names them.
    left_unit_id: Mapped[int] = column_property(
        select(CatalogEntry.unit_id).where(CatalogEntry.id == left_entry_id).scalar_subquery())
    right_unit_id: Mapped[int] = column_property(
        select(CatalogEntry.unit_id).where(CatalogEntry.id == right_entry_id).scalar_subquery())


class ComparisonRun(Base):
    __tablename__ = "quality_comparison_runs"
    __table_args__ = (Index("ix_quality_comparison_runs_cmp", "comparison_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("quality_comparisons.id", ondelete="CASCADE"))
    left_rows: Mapped[int] = mapped_column(Integer, default=0)
    right_rows: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)  # keys on both sides
    equal: Mapped[int] = mapped_column(Integer, default=0)  # matched and every compared field equal
    only_left: Mapped[int] = mapped_column(Integer, default=0)
    only_right: Mapped[int] = mapped_column(Integer, default=0)
    field_diffs: Mapped[str] = mapped_column(Text, default="{}")  # JSON {left field: rows differing}
    ratio: Mapped[float] = mapped_column(Float, default=0.0)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    kept: Mapped[int] = mapped_column(Integer, default=0)  # difference rows kept for download
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class ComparisonDiff(Base):
    """One kept difference of a run: a key only on one side, or one field that differs."""

    __tablename__ = "quality_comparison_diffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("quality_comparison_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # only_left | only_right | diff
    record_key: Mapped[str] = mapped_column(String(400))
    field: Mapped[str] = mapped_column(String(64), default="")
    left_value: Mapped[str | None] = mapped_column(Text)
    right_value: Mapped[str | None] = mapped_column(Text)


class CorrectionStatus(StrEnum):
    OPEN = "open"
    FIXED = "fixed"
    REJECTED = "rejected"


class Correction(Base):
    """A 纠错 report on one field of one record, and the producer's answer (第十四条)."""

    __tablename__ = "quality_corrections"
    __table_args__ = (Index("ix_quality_corrections_unit_status", "unit_id", "status"),
                      Index("ix_quality_corrections_dedupe", "dedupe_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the producer who must answer
    code: Mapped[str] = mapped_column(String(64))  # resource code
    record_key: Mapped[str] = mapped_column(Text)  # JSON {key field: value}
    field: Mapped[str] = mapped_column(String(64))
    value_seen: Mapped[str] = mapped_column(Text, default="")
    value_proposed: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(12), default="consumer")  # consumer | rule
    dedupe_key: Mapped[str | None] = mapped_column(String(200))  # rule-opened: entry/rule/key, one open at a time
    reporter_kind: Mapped[str] = mapped_column(String(12))  # user | system | platform
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reporter_system_id: Mapped[int | None] = mapped_column(ForeignKey("systems.id"))
    reporter_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    reporter_name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(12), default=CorrectionStatus.OPEN.value)
    due_on: Mapped[date] = mapped_column(Date)
    reminded_on: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    value_fixed: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(128))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    @property
    def resource_code(self) -> str:
        return self.code
