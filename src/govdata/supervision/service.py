"""Supervision's operations: store a month's figures, and read them as the city's, a county's or a unit's view.

Who sees what is the policy's (`Action.SUPERVISION_VIEW` over an `Area`): the bureau the city, a county office
its county and the units in it, a unit's people their own unit. Views read the stored monthly figures; a month
never stored (a fresh installation, a month before the job ran) is computed on the fly and said so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.errors import NotFound
from govdata.orgs.models import Region, Unit
from govdata.policy import Action
from govdata.storage.base import row_by_id
from govdata.supervision import indicators
from govdata.supervision.indicators import Figures
from govdata.supervision.models import COUNTS, MonthlyFigures
from govdata.supervision.months import Month, recent
from govdata.types import with_offset


@dataclass(frozen=True)
class Area:
    """What a view covers, as the policy reads it: the city (neither set), a county (`region_id`) or a unit."""

    kind: str  # city | region | unit
    name: str
    region_id: int | None = None
    unit_id: int | None = None

    @property
    def id(self) -> int | None:
        return self.unit_id if self.kind == "unit" else self.region_id


@dataclass
class UnitRow:
    unit_id: int
    name: str
    region: str
    figures: Figures
    rank: int = 0


@dataclass
class View:
    area: Area
    month: Month
    rows: list[UnitRow]  # the units inside, ranked by score
    total: Figures
    regions: list[tuple[Area, Figures]] = field(default_factory=list)  # the city's counties, rolled up
    trend: list[tuple[Month, Figures | None]] = field(default_factory=list)
    computed_at: datetime | None = None  # None: computed now, not stored
    is_live: bool = False
    as_of: datetime | None = None  # when the figures were taken (the stored rows' earliest)


CITY = Area("city", "全市")


def city_area() -> Area:
    return CITY


def region_area(db: Session, *, region_id: int) -> Area:
    region = row_by_id(db, Region, region_id)
    if region is None:
        raise NotFound("行政区划不存在", field="region_id")
    return Area("region", region.name, region_id=region.id)


def unit_area(db: Session, *, unit_id: int) -> Area:
    unit = row_by_id(db, Unit, unit_id)
    if unit is None:
        raise NotFound("单位不存在", field="unit_id")
    return Area("unit", unit.name, region_id=unit.region_id, unit_id=unit.id)


def home_area(db: Session, actor: Actor, action: Action = Action.SUPERVISION_VIEW) -> Area:
    """Where `actor`'s dashboard (or another area-scoped list, by its `action`) starts: the city for whom the
    action sees all of, its county for a county office, else its unit."""
    if policy.sees_all(actor, action):
        area = CITY
    elif actor.has(Role.COUNTY_OFFICE) and actor.region_id is not None:
        area = region_area(db, region_id=actor.region_id)
    elif actor.unit_id is not None:
        area = unit_area(db, unit_id=actor.unit_id)
    else:
        area = CITY
    policy.require(actor, action, area)
    return area


def _from_row(row: MonthlyFigures) -> Figures:
    figures = Figures(**{name: getattr(row, name) for name in COUNTS}, quality_score=row.quality_score,
                      extra={"region_id": row.region_id})
    figures.units_registered = 1 if figures.stewards and figures.has_office else 0
    return figures


def compute_month(db: Session, actor: Actor, *, month: Month) -> int:
    """Compute every unit's figures for `month` and store them in place of any stored before (one audited write)."""
    with acting(db, actor, Action.SUPERVISION_COMPUTE, target_type="supervision_month",
                target_id=month.code) as audit:
        figures = indicators.compute(db, month)
        now, as_of = clock.now(), month.as_of()
        db.execute(delete(MonthlyFigures).where(MonthlyFigures.month == month.code))
        rows = [{"month": month.code, "unit_id": unit_id, "region_id": f.extra["region_id"], "as_of": as_of,
                 "computed_at": now, "quality_score": f.quality_score, "score": f.score,
                 **{name: getattr(f, name) for name in COUNTS}} for unit_id, f in figures.items()]
        if rows:
            db.execute(insert(MonthlyFigures), rows)
        audit.details = {"month": month.code, "units": len(rows), "as_of": with_offset(as_of)}
    return len(rows)


def _units_of(db: Session, area: Area) -> list[tuple[int, str, str]]:
    query = select(Unit.id, Unit.name, Region.name).join(Region, Region.id == Unit.region_id)
    if area.kind == "unit":
        query = query.where(Unit.id == area.unit_id)
    elif area.kind == "region":
        query = query.where(Unit.region_id == area.region_id)
    return [(u, n, r) for u, n, r in db.execute(query.order_by(Unit.id))]


@dataclass
class _Found:
    figures: dict[int, Figures]
    computed_at: datetime | None
    as_of: datetime


def _figures(db: Session, month: Month, unit_ids: list[int]) -> _Found:
    """The stored figures of these units for `month`; none stored: computed now (not stored)."""
    rows = db.execute(select(MonthlyFigures).where(MonthlyFigures.month == month.code,
                                                   MonthlyFigures.unit_id.in_(unit_ids))).scalars().all()
    if not rows:
        return _Found(indicators.compute(db, month, unit_ids=unit_ids), None, month.as_of())
    found = {r.unit_id: _from_row(r) for r in rows}
    missing = [u for u in unit_ids if u not in found]  # a unit added since: computed now, until stored
    if missing:
        found.update(indicators.compute(db, month, unit_ids=missing))
    return _Found(found, min(r.computed_at for r in rows), min(r.as_of for r in rows))


def _rank(rows: list[UnitRow]) -> list[UnitRow]:
    rows.sort(key=lambda r: (-(r.figures.score if r.figures.score is not None else -1.0), r.unit_id))
    for i, row in enumerate(rows, start=1):
        row.rank = i
    return rows


def _trend(db: Session, month: Month, unit_ids: list[int]) -> list[tuple[Month, Figures | None]]:
    months = recent(month)
    stored = db.execute(select(MonthlyFigures).where(MonthlyFigures.month.in_([m.code for m in months]),
                                                     MonthlyFigures.unit_id.in_(unit_ids))).scalars().all()
    found: dict[str, Figures] = {}
    for row in stored:
        found.setdefault(row.month, indicators.empty_rollup()).add(_from_row(row))
    return [(m, found.get(m.code)) for m in months]


def view(db: Session, actor: Actor, *, area: Area, month: Month, trend: bool = True) -> View:
    """The area's units ranked, their roll-up, the city's counties and the trend of the last 12 months."""
    policy.require(actor, Action.SUPERVISION_VIEW, area)
    units = _units_of(db, area)
    ids = [u for u, _, _ in units]
    found = _figures(db, month, ids)
    figures = found.figures
    rows = _rank([UnitRow(u, name, region, figures[u]) for u, name, region in units if u in figures])
    total = indicators.empty_rollup()
    for row in rows:
        total.add(row.figures)
    result = View(area, month, rows, total, computed_at=found.computed_at, is_live=found.computed_at is None,
                  as_of=found.as_of)
    if area.kind == "city":
        result.regions = _regions(db, rows)
    if trend:
        result.trend = _trend(db, month, ids)
    return result


def _regions(db: Session, rows: list[UnitRow]) -> list[tuple[Area, Figures]]:
    regions = db.execute(select(Region).order_by(Region.code)).scalars().all()
    rolled: dict[int, Figures] = {}
    for row in rows:
        rolled.setdefault(row.figures.extra["region_id"], indicators.empty_rollup()).add(row.figures)
    return [(Area("region" if r.parent_id else "city", r.name if r.parent_id else f"{r.name}（市直）",
                  region_id=r.id), rolled[r.id]) for r in regions if r.id in rolled]

