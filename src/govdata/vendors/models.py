"""Vendor tables: confidentiality agreements (保密协议) and the units and resources each one names."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata import clock
from govdata.auth.models import User
from govdata.catalog.models import CatalogEntry
from govdata.orgs.models import Unit
from govdata.storage.base import Base


class AgreementStatus(StrEnum):
    ACTIVE = "active"  # in force between valid_from and valid_until
    ENDED = "ended"  # ended early, with a reason


class AgreementState(StrEnum):
    """What an agreement means today: its status read against its validity."""

    IN_FORCE = "in_force"
    NOT_YET = "not_yet"
    EXPIRED = "expired"
    ENDED = "ended"


class VendorAgreement(Base):
    """A confidentiality agreement under which a vendor's account works on the data it names (第二十九条).

    `unit_id` is the contracting unit (委托单位), `signed_by` who signed for it; `scope_items` name the units
    (all their resources) and the single resources it covers. The signed file is kept in the home under
    `file_key`, with its SHA-256, so a download can prove it is the file that was recorded."""

    __tablename__ = "vendor_agreements"
    __table_args__ = (Index("ix_vendor_agreements_vendor_status", "vendor_user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    company: Mapped[str] = mapped_column(String(200))  # the vendor company's name
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    signed_by: Mapped[str] = mapped_column(String(128))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=AgreementStatus.ACTIVE.value)
    file_key: Mapped[str] = mapped_column(String(80))
    file_name: Mapped[str] = mapped_column(String(200))
    file_type: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    ended_by: Mapped[str] = mapped_column(String(128), default="")
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str] = mapped_column(Text, default="")

    vendor: Mapped[User] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    scope_items: Mapped[list[VendorScopeItem]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", back_populates="agreement", order_by="VendorScopeItem.id")

    @property
    def number(self) -> str:
        return f"VA-{self.id:06d}" if self.id is not None else "VA-（未登记）"

    @property
    def scope_unit_ids(self) -> frozenset[int]:
        """Every unit whose data the agreement reaches (named whole, or owning a named resource)."""
        return frozenset(item.unit_id for item in self.scope_items)

    def state(self, today: date) -> AgreementState:
        if self.status == AgreementStatus.ENDED:
            return AgreementState.ENDED
        if today < self.valid_from:
            return AgreementState.NOT_YET
        if today > self.valid_until:
            return AgreementState.EXPIRED
        return AgreementState.IN_FORCE


class VendorScopeItem(Base):
    """One thing an agreement names: a whole unit (`entry_id` empty) or one of its resources."""

    __tablename__ = "vendor_agreement_scope"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("vendor_agreements.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))

    agreement: Mapped[VendorAgreement] = relationship(back_populates="scope_items")
    unit: Mapped[Unit] = relationship(lazy="joined")
    entry: Mapped[CatalogEntry | None] = relationship(lazy="joined")
