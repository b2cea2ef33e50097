"""Supervision tables: each unit's indicator figures for a month, as computed from the platform's records.

The dashboards, rankings, trends and monthly reports read these rows (a few hundred per month for a city),
never the records themselves; a daily job refreshes the current month and closes the one before, and the
bureau may recompute any past month on demand.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govdata import clock
from govdata.storage.base import Base
from govdata.supervision import returnflow_models, vendor_rating_models  # noqa: F401  (their tables)

# The counted figures, in the order tables and exports show them (the ratios are derived from these).
COUNTS = ("entries_registered", "entries_with_data", "load_due", "load_on_time", "quality_entries",
          "share_due", "share_on_time", "corrections_due", "corrections_on_time", "demands_due",
          "demands_on_time", "stewards", "has_office", "systems", "systems_valid", "filings_needed",
          "filings_missing")


class MonthlyFigures(Base):
    """One unit's indicators for one month (`YYYY-MM`, 北京时间), as of `as_of` (the month's end, or the moment
    of computing while the month runs)."""

    __tablename__ = "supervision_monthly"
    __table_args__ = (UniqueConstraint("month", "unit_id"), Index("ix_supervision_monthly_month_region",
                                                                  "month", "region_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))  # the unit's region when computed
    as_of: Mapped[datetime] = mapped_column(DateTime)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    entries_registered: Mapped[int] = mapped_column(Integer, default=0)
    entries_with_data: Mapped[int] = mapped_column(Integer, default=0)
    load_due: Mapped[int] = mapped_column(Integer, default=0)  # entries with a regular update cycle
    load_on_time: Mapped[int] = mapped_column(Integer, default=0)
    quality_entries: Mapped[int] = mapped_column(Integer, default=0)  # entries with a quality report
    quality_score: Mapped[float | None] = mapped_column(Float)  # mean of their latest scores (0..1)
    share_due: Mapped[int] = mapped_column(Integer, default=0)  # share requests to give an opinion on
    share_on_time: Mapped[int] = mapped_column(Integer, default=0)
    corrections_due: Mapped[int] = mapped_column(Integer, default=0)
    corrections_on_time: Mapped[int] = mapped_column(Integer, default=0)
    demands_due: Mapped[int] = mapped_column(Integer, default=0)
    demands_on_time: Mapped[int] = mapped_column(Integer, default=0)
    stewards: Mapped[int] = mapped_column(Integer, default=0)
    has_office: Mapped[int] = mapped_column(Integer, default=0)  # 1: the data office is registered
    systems: Mapped[int] = mapped_column(Integer, default=0)
    systems_valid: Mapped[int] = mapped_column(Integer, default=0)
    filings_needed: Mapped[int] = mapped_column(Integer, default=0)  # manual-upload entries (第九条)
    filings_missing: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float)  # the overall mark the ranking sorts by (0..1)


from govdata.supervision import projects_models  # noqa: E402,F401  (IT projects: their tables join the metadata)
