"""Supervision's JSON shapes: a month's figures for an area and its units, a unit's late items."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from govdata.supervision.indicators import Figures
from govdata.supervision.late import LateItem
from govdata.supervision.service import UnitRow, View
from govdata.types import Timestamp


class FiguresRead(BaseModel):
    units: int
    entries_registered: int
    entries_with_data: int
    load_due: int
    load_on_time: int
    load_rate: float | None
    quality_entries: int
    quality_score: float | None
    share_due: int
    share_on_time: int
    share_rate: float | None
    corrections_due: int
    corrections_on_time: int
    corrections_rate: float | None
    demands_due: int
    demands_on_time: int
    demands_rate: float | None
    stewards: int
    units_registered: int
    systems: int
    systems_valid: int
    filings_needed: int
    filings_missing: int
    score: float | None

    @classmethod
    def of(cls, f: Figures) -> FiguresRead:
        return cls(**{name: getattr(f, name) for name in cls.model_fields})


class UnitFiguresRead(BaseModel):
    unit_id: int
    unit_name: str
    region_name: str
    rank: int
    figures: FiguresRead

    @classmethod
    def of(cls, row: UnitRow) -> UnitFiguresRead:
        return cls(unit_id=row.unit_id, unit_name=row.name, region_name=row.region, rank=row.rank,
                   figures=FiguresRead.of(row.figures))


class IndicatorsRead(BaseModel):
    month: str
    area: str  # city | region | unit
    area_name: str
    as_of: Timestamp
    computed_at: Timestamp | None  # None: not stored, computed for this answer
    total: FiguresRead
    units: list[UnitFiguresRead]

    @classmethod
    def of(cls, view: View) -> IndicatorsRead:
        return cls(month=view.month.code, area=view.area.kind, area_name=view.area.name,
                   as_of=view.as_of or view.month.as_of(), computed_at=view.computed_at,
                   total=FiguresRead.of(view.total), units=[UnitFiguresRead.of(r) for r in view.rows])


class LateItemRead(BaseModel):
    kind: str
    kind_label: str
    name: str
    due_on: date | None
    answered_at: Timestamp | None
    href: str

    @classmethod
    def of(cls, item: LateItem) -> LateItemRead:
        return cls(kind=item.kind, kind_label=item.kind_label, name=item.name, due_on=item.due_on,
                   answered_at=item.answered_at, href=item.href)


class ComputedRead(BaseModel):
    month: str
    units: int
