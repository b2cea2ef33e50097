"""Sharing tables: requests and their review, use agreements, grants and per-day usage counters."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata import clock
from govdata.catalog.models import CatalogEntry
from govdata.orgs.models import System, Unit
from govdata.storage.base import Base


class RequestStatus(StrEnum):
    PENDING_OPINION = "pending_opinion"  # 待提供单位意见
    PENDING_REVIEW = "pending_review"  # 待大数据局（县级部门）审核
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class GrantStatus(StrEnum):
    PENDING = "pending"  # approved, waiting for both acceptances and the center's activation
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    REVOKED = "revoked"


def split_names(value: str) -> list[str]:
    return [n for n in value.split(",") if n]


class ShareRequest(Base):
    """A consumer unit's application for an entry's fields (共享申请). `unit_id` is the consumer."""

    __tablename__ = "share_requests"
    __table_args__ = (Index("ix_share_requests_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), index=True)
    resource_code: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    provider_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"))
    share_type: Mapped[str] = mapped_column(String(16))
    fields: Mapped[str] = mapped_column(Text)  # comma-separated field names asked for
    duty: Mapped[str] = mapped_column(Text)  # 履职需要
    legal_basis: Mapped[str] = mapped_column(Text)
    valid_until: Mapped[date] = mapped_column(Date)
    daily_volume: Mapped[int] = mapped_column(Integer)
    renewal_of_grant_id: Mapped[int | None] = mapped_column(Integer)
    # County level (第十二条): set when both units are in the same county; its office reviews.
    review_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    status: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer, default=1)  # checked in every decision's UPDATE
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    due_on: Mapped[date | None] = mapped_column(Date)
    due_estimated: Mapped[bool] = mapped_column(default=False)
    last_reminded_on: Mapped[date | None] = mapped_column(Date)
    opinion_agree: Mapped[bool | None] = mapped_column()
    opinion: Mapped[str] = mapped_column(Text, default="")
    opinion_by: Mapped[str] = mapped_column(String(128), default="")
    opinion_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(128), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_fields: Mapped[str] = mapped_column(Text, default="")
    approved_until: Mapped[date | None] = mapped_column(Date)
    # The provider's opinion chooses the fields given in clear; every other field leaves masked by its rule.
    clear_fields: Mapped[str] = mapped_column(Text, default="")
    # Why L3/L4 fields among them are needed in clear (第二十一条: policy.grading asks for it).
    clear_reason: Mapped[str] = mapped_column(Text, default="")
    row_limit: Mapped[int | None] = mapped_column(Integer)  # set on approval: rows one call may return

    entry: Mapped[CatalogEntry] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined", foreign_keys=[unit_id])
    provider: Mapped[Unit] = relationship(lazy="joined", foreign_keys=[provider_unit_id])
    system: Mapped[System] = relationship(lazy="joined")

    @property
    def field_names(self) -> list[str]:
        return split_names(self.fields)

    @property
    def approved_field_names(self) -> list[str]:
        return split_names(self.approved_fields)

    @property
    def clear_field_names(self) -> list[str]:
        return split_names(self.clear_fields)

    @property
    def is_open(self) -> bool:
        return self.status in (RequestStatus.PENDING_OPINION, RequestStatus.PENDING_REVIEW)


class UseAgreement(Base):
    """数据使用协议 generated on approval; both unit heads accept it."""

    __tablename__ = "share_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("share_requests.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # consumer
    provider_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    consumer_accepted_by: Mapped[str] = mapped_column(String(128), default="")
    consumer_accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    provider_accepted_by: Mapped[str] = mapped_column(String(128), default="")
    provider_accepted_at: Mapped[datetime | None] = mapped_column(DateTime)

    request: Mapped[ShareRequest] = relationship(lazy="joined")

    @property
    def review_region_id(self) -> int | None:
        """The county whose office reviewed the request (None: the bureau), for `agreement.view`."""
        return self.request.review_region_id

    @property
    def fully_accepted(self) -> bool:
        return self.consumer_accepted_at is not None and self.provider_accepted_at is not None


class Grant(Base):
    """访问权限: one consumer system may look up these fields of one entry by these keys, within a quota."""

    __tablename__ = "share_grants"
    __table_args__ = (Index("ix_share_grants_system_code", "system_id", "resource_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("share_requests.id"), unique=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("share_agreements.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), index=True)
    resource_code: Mapped[str] = mapped_column(String(64))
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # consumer
    provider_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    fields: Mapped[str] = mapped_column(Text)
    clear_fields: Mapped[str] = mapped_column(Text, default="")  # of `fields`, those given in clear
    key_fields: Mapped[str] = mapped_column(Text)
    row_limit: Mapped[int] = mapped_column(Integer, default=20)  # rows one call may return; more: refused
    daily_quota: Mapped[int] = mapped_column(Integer)
    per_minute: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(Text)
    approver: Mapped[str] = mapped_column(String(128))
    agreement_hash: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    system: Mapped[System] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined", foreign_keys=[unit_id])
    provider: Mapped[Unit] = relationship(lazy="joined", foreign_keys=[provider_unit_id])

    @property
    def field_names(self) -> list[str]:
        return split_names(self.fields)

    @property
    def key_field_names(self) -> list[str]:
        return split_names(self.key_fields)

    @property
    def clear_field_names(self) -> list[str]:
        return split_names(self.clear_fields)


class GrantUsage(Base):
    """Calls counted per grant per local day, and in the current minute; updated atomically by each call."""

    __tablename__ = "share_grant_usage"

    grant_id: Mapped[int] = mapped_column(ForeignKey("share_grants.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    minute: Mapped[int] = mapped_column(Integer, default=0)  # minute of the day (local)
    minute_calls: Mapped[int] = mapped_column(Integer, default=0)
