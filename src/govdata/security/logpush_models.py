"""Log push tables (第二十四条): each unit's delivery setting and every batch of its audit events sent to it.

A `LogPushTarget` says where and how often a unit's events go and how far they have gone (`delivered_seq`, the
cursor by audit sequence number). A `LogPushDelivery` is one batch: the seq range it covers is fixed, with its
files, when it is made; it is sent (again and again, the same bytes) until the unit acknowledges it, and only
then does the cursor move. So every event is in exactly one batch, and a retry never makes a new one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata import clock
from govdata.orgs.models import Unit
from govdata.storage.base import Base

SeqType = BigInteger().with_variant(Integer, "sqlite")


class DestinationKind(StrEnum):
    FOLDER = "folder"  # a folder on the platform host (a mounted share, an exchange directory)
    HTTPS = "https"  # the unit's endpoint, POSTed to


class Schedule(StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # made, not yet acknowledged
    DELIVERED = "delivered"


class LogPushTarget(Base):
    """Where a unit's audit events are pushed, and how far they have gone."""

    __tablename__ = "logpush_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # DestinationKind
    destination: Mapped[str] = mapped_column(String(1000))  # folder path or URL
    schedule: Mapped[str] = mapped_column(String(8))  # Schedule
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    delivered_seq: Mapped[int] = mapped_column(SeqType, default=0)  # the last seq acknowledged
    batches: Mapped[int] = mapped_column(Integer, default=0)  # batches made so far (numbers the next)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed attempts
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)  # None: at the next round
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")  # in Chinese, for the unit's page
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    unit: Mapped[Unit] = relationship(lazy="joined")


class LogPushDelivery(Base):
    """One batch of a unit's events: its seq range, its files, and whether the unit has acknowledged it.

    While pending it keeps the exact bytes it sends (`lines`, `manifest`, `signature`), so that every retry
    sends the same file under the same name; once delivered the lines are dropped (the trail keeps the events)."""

    __tablename__ = "logpush_deliveries"
    __table_args__ = (
        UniqueConstraint("target_id", "first_seq"),
        UniqueConstraint("target_id", "batch_no"),
        Index("ix_logpush_deliveries_target_status", "target_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("logpush_targets.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    batch_no: Mapped[int] = mapped_column(Integer)
    first_seq: Mapped[int] = mapped_column(SeqType)
    last_seq: Mapped[int] = mapped_column(SeqType)
    event_count: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(200))  # the JSON lines file; the manifest is beside it
    sha256: Mapped[str] = mapped_column(String(64))  # of the lines file
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # where it went (the setting may change later)
    destination: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    lines: Mapped[str] = mapped_column(Text, default="")
    manifest: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(String(128), default="")
