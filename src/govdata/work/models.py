"""One row per piece of background work: what it is, whose it is, how far it got and how it ended."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata import clock
from govdata.storage.base import Base

BigInt = BigInteger().with_variant(Integer(), "sqlite")


class WorkState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class WorkKind(StrEnum):
    UPLOAD = "upload"
    SCAN = "scan"
    COMPARE = "compare"
    EXPORT = "export"


class WorkItem(Base):
    """`active_key` names what the work is about (one resource's upload) while it is queued or running and is
    unique, so a second submit of the same thing is refused by the database itself; it is cleared at the end."""

    __tablename__ = "work_items"
    __table_args__ = (Index("ix_work_items_owner", "owner_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    owner_name: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=WorkState.QUEUED.value)
    measure: Mapped[str] = mapped_column(String(8), default="行")  # what done/total count
    done: Mapped[int] = mapped_column(BigInt, default=0)
    total: Mapped[int | None] = mapped_column(BigInt)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    result_href: Mapped[str] = mapped_column(String(500), default="")
    result_text: Mapped[str] = mapped_column(String(500), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    active_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    runner: Mapped[str] = mapped_column(String(100), default="")
