"""Each backup run, scheduled or from the command line (第二十四条): when, how it ended, where the archive is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata import clock
from govdata.storage.base import Base


class BackupRun(Base):
    """One attempt to write an archive. A failed run keeps its error; a good one its size and sha256, so the
    archive found on disk later can be matched to it."""

    __tablename__ = "backup_runs"
    __table_args__ = (Index("ix_backup_runs_status_started", "status", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    finished_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    trigger: Mapped[str] = mapped_column(String(16))  # cli | job
    status: Mapped[str] = mapped_column(String(16))  # ok | failed
    path: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    database_kind: Mapped[str] = mapped_column(String(16), default="")
    members: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
