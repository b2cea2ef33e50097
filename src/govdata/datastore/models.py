"""Aggregation bookkeeping: batches, their rejected rows, return-flow connectors and table schemas."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata import clock
from govdata.auth import models as _auth_models  # noqa: F401 (users and systems tables for the foreign keys)
from govdata.catalog.models import CatalogEntry
from govdata.storage.base import Base


class BatchSource(StrEnum):
    PUSH = "push"  # 实时汇聚
    RETURN_FLOW = "return_flow"  # 回流
    UPLOAD = "upload"  # 人工上传（页面）
    CLI = "cli"  # 命令行


class LoadMode(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"  # any rejected row → nothing written
    LOAD_VALID = "load_valid"  # write the valid rows, report the rejected ones


class BatchStatus(StrEnum):
    RUNNING = "running"
    LOADED = "loaded"  # every row written
    PARTIAL = "partial"  # valid rows written, some rejected (load_valid)
    REJECTED = "rejected"  # all_or_nothing and some row was bad: nothing written
    DRY_RUN = "dry_run"  # checked only
    FAILED = "failed"  # an error stopped it: nothing written


class IngestBatch(Base):
    """One load (汇聚批次) of rows into an entry's table, whatever the way in."""

    __tablename__ = "ingest_batches"
    __table_args__ = (
        Index("ix_ingest_batches_entry_started", "entry_id", "started_at"),
        UniqueConstraint("entry_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    source: Mapped[str] = mapped_column(String(16))  # BatchSource
    mode: Mapped[str] = mapped_column(String(16))  # LoadMode
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.RUNNING.value)
    actor_name: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    system_id: Mapped[int | None] = mapped_column(ForeignKey("systems.id"))
    file_name: Mapped[str] = mapped_column(String(255), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    # A file's header as uploaded: JSON {field name: the column's header in the file}, in the file's column
    # order ("" when not from a file); the rejected-row report is written in these headers.
    headers: Mapped[str] = mapped_column(Text, default="", server_default="")

    entry: Mapped[CatalogEntry] = relationship(lazy="joined")

    @property
    def resource_code(self) -> str | None:
        return self.entry.code if self.entry else None

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.deleted


class IngestReject(Base):
    """A rejected row of a batch: line, field, reason and the raw values (downloadable as CSV)."""

    __tablename__ = "ingest_rejects"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text, default="{}")  # JSON object of the row as received


class TableSchema(Base):
    """Which catalog version an entry's table was last built or migrated to, and the last migration report."""

    __tablename__ = "datastore_tables"

    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    fields_json: Mapped[str] = mapped_column(Text, default="[]")  # the fields the table was built from
    report: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class Paging(StrEnum):
    NONE = "none"
    PAGE = "page"  # ?page=1,2,3...
    OFFSET = "offset"  # ?offset=0,N,2N...
    CURSOR = "cursor"  # ?cursor=<next from the previous answer>


class ReturnFlowConnector(Base):
    """Where an entry's data comes back from an upper-level system (回流), and how the last pulls went."""

    __tablename__ = "return_flow_connectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    url: Mapped[str] = mapped_column(String(1000))
    auth_header: Mapped[str] = mapped_column(String(1000), default="")  # "Name: value", sent as is
    data_format: Mapped[str] = mapped_column(String(8), default="json")  # json | csv
    paging: Mapped[str] = mapped_column(String(8), default=Paging.NONE.value)
    page_size: Mapped[int] = mapped_column(Integer, default=1000)
    records_path: Mapped[str] = mapped_column(String(64), default="records")  # key of the list in a JSON answer
    cursor_path: Mapped[str] = mapped_column(String(64), default="next_cursor")
    field_mapping: Mapped[str] = mapped_column(Text, default="{}")  # JSON {upstream name: field name}
    since_param: Mapped[str] = mapped_column(String(64), default="")  # e.g. updated_since; empty = full pull
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    backoff_seconds: Mapped[float] = mapped_column(Float, default=1.0)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_since: Mapped[datetime | None] = mapped_column(DateTime)  # start of the last successful pull
    last_error: Mapped[str] = mapped_column(Text, default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed runs
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    entry: Mapped[CatalogEntry] = relationship(lazy="joined")

    @property
    def resource_code(self) -> str | None:
        return self.entry.code if self.entry else None


# How pages name a batch's state, source and load mode.
STATUS_LABELS = {"running": "进行中", "loaded": "已写入", "partial": "部分写入", "rejected": "整批拒绝",
                 "dry_run": "试运行", "failed": "失败（已回滚）"}
SOURCE_LABELS = {"push": "实时推送", "return_flow": "回流", "upload": "页面上传", "cli": "命令行"}
MODE_LABELS = {"all_or_nothing": "整批写入（有错则全部不写）", "load_valid": "只写合格行并报告不合格行"}
