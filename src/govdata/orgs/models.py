from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata import clock
from govdata.storage.base import Base


class Region(Base):
    """The city, a county (县、市、区) or an administrative area; county units are reviewed locally."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # GB/T 2260 code
    name: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[str] = mapped_column(String(16))  # city | county | area
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))

    @property
    def is_county(self) -> bool:
        return self.level != "city"


class Unit(Base):
    """A 数据生产应用单位."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # short code used in catalog codes
    name: Mapped[str] = mapped_column(String(128), unique=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    data_office: Mapped[str] = mapped_column(String(128), default="")  # 政务数据管理科室
    office_phone: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    region: Mapped[Region] = relationship(lazy="joined")

    @property
    def unit_id(self) -> int:
        return self.id

    @property
    def is_county_unit(self) -> bool:
        return self.region.is_county


class System(Base):
    """A unit's connected information system (接入系统) and its 等保 assessment (第二十五条)."""

    __tablename__ = "systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    assessment_level: Mapped[int | None] = mapped_column(Integer)  # 等保 level 1-5
    assessment_report_no: Mapped[str | None] = mapped_column(String(64))
    assessment_date: Mapped[date | None] = mapped_column(Date)
    assessment_valid_until: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    unit: Mapped[Unit] = relationship(lazy="joined")

    def assessment_status(self, today: date) -> str:
        """valid | expired | missing — shown wherever the system appears."""
        if not self.assessment_valid_until or not self.assessment_level:
            return "missing"
        return "valid" if self.assessment_valid_until >= today else "expired"

    def has_valid_assessment(self, today: date) -> bool:
        return self.assessment_status(today) == "valid"
