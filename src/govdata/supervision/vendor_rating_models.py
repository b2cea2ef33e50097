"""The bureau's periodic score of a technical-service vendor (第二十七条 服务监督评价): one per vendor and period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govdata import clock
from govdata.storage.base import Base


class VendorScore(Base):
    """A vendor account's score for a quarter (`YYYY-Qn`, 北京时间), 0–100, with the bureau's comment."""

    __tablename__ = "vendor_scores"
    __table_args__ = (UniqueConstraint("vendor_user_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    scored_by: Mapped[str] = mapped_column(String(128))
    scored_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
