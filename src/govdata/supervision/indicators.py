"""The indicators of every unit for a month, computed in SQL from the platform's own records (第二十六、二十七条).

One grouped statement per kind of record, all units at once (60 units, 3,000 entries and 100,000 requests in well
under a second, see `bench/bench_supervision.py`). For a month `M` taken at `as_of` (its end, or now):

- entries registered: registered by `as_of` and not retired before it;
- entries with data: of those, with a successful load by `as_of`;
- loaded on time: of those with a regular update cycle, the share whose last successful load (or, never loaded,
  registration) is within the cycle's allowed age at `as_of` — the same rule as the overdue-update list
  (`datastore.freshness.ALLOWED_AGE`);
- quality score: the mean of each entry's latest quality report by `as_of`;
- share requests, corrections and open-data demands answered on time: those whose deadline (`due_on`) falls in
  `M` up to `as_of`, answered (the providing unit's opinion; the answer) on or before that day in 北京时间;
- stewards and data office: active stewards, and whether the unit names its data office (第五条);
- systems with a valid 等保 assessment at `as_of` (第二十五条);
- filings missing: registered manual-upload entries without an accepted non-realtime filing — the filing-gap
  list (`datastore.filings`) counted per unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from govdata.actor import Role
from govdata.auth.models import User, UserRole
from govdata.catalog.models import CatalogEntry, EntryStatus, Filing, FilingStatus, IngestMode
from govdata.datastore.filings import KIND as NON_REALTIME
from govdata.datastore.freshness import ALLOWED_AGE, GOOD
from govdata.datastore.models import IngestBatch
from govdata.opendata.models import OpenDemand
from govdata.orgs.models import System, Unit
from govdata.quality.models import Correction, QualityReport
from govdata.sharing.models import RequestStatus, ShareRequest
from govdata.supervision.months import Month
from govdata.timeutil import DISPLAY_TZ, to_local


@dataclass
class Figures:
    """One unit's (or a roll-up's) counted figures and the ratios shown from them."""

    entries_registered: int = 0
    entries_with_data: int = 0
    load_due: int = 0
    load_on_time: int = 0
    quality_entries: int = 0
    share_due: int = 0
    share_on_time: int = 0
    corrections_due: int = 0
    corrections_on_time: int = 0
    demands_due: int = 0
    demands_on_time: int = 0
    stewards: int = 0
    has_office: int = 0
    systems: int = 0
    systems_valid: int = 0
    filings_needed: int = 0
    filings_missing: int = 0
    quality_score: float | None = None
    units: int = 1  # how many units a roll-up holds
    units_registered: int = 0  # of those, with stewards and data office registered
    extra: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def ratio(done: int, due: int) -> float | None:
        return done / due if due else None

    @property
    def load_rate(self) -> float | None:
        return self.ratio(self.load_on_time, self.load_due)

    @property
    def share_rate(self) -> float | None:
        return self.ratio(self.share_on_time, self.share_due)

    @property
    def corrections_rate(self) -> float | None:
        return self.ratio(self.corrections_on_time, self.corrections_due)

    @property
    def demands_rate(self) -> float | None:
        return self.ratio(self.demands_on_time, self.demands_due)

    @property
    def systems_rate(self) -> float | None:
        return self.ratio(self.systems_valid, self.systems)

    @property
    def filings_rate(self) -> float | None:
        return self.ratio(self.filings_needed - self.filings_missing, self.filings_needed)

    @property
    def registered_rate(self) -> float:
        return self.units_registered / self.units if self.units else 0.0

    @property
    def score(self) -> float | None:
        """The overall mark: the mean of every ratio that has something to measure (0..1)."""
        parts = [self.load_rate, self.quality_score, self.share_rate, self.corrections_rate, self.demands_rate,
                 self.registered_rate, self.systems_rate, self.filings_rate]
        present = [p for p in parts if p is not None]
        return sum(present) / len(present) if present else None

    def add(self, other: Figures) -> None:
        """Fold `other` into this roll-up (the quality score weighted by entries reported)."""
        weight = self.quality_entries + other.quality_entries
        if other.quality_score is not None:
            mine = (self.quality_score or 0.0) * self.quality_entries
            self.quality_score = (mine + other.quality_score * other.quality_entries) / weight if weight else None
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.units += other.units
        self.units_registered += other.units_registered


COUNTED = tuple(f.name for f in fields(Figures) if f.type == "int" and f.name not in ("units", "units_registered"))


def empty_rollup() -> Figures:
    return Figures(units=0)


def _offset_hours() -> int:
    offset = datetime(2026, 1, 1, tzinfo=DISPLAY_TZ).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 3600)


def local_day(db: Session, column: Any) -> ColumnElement[Any]:
    """A stored (naive UTC) time's day in 北京时间, comparable with a `Date` column on either database."""
    hours = _offset_hours()
    if db.get_bind().dialect.name == "sqlite":
        return func.date(column, f"+{hours} hours")
    return cast(column + text(f"interval '{hours} hours'"), Date)


def _current_entries(as_of: datetime) -> ColumnElement[bool]:
    return and_(CatalogEntry.status.in_([EntryStatus.REGISTERED.value, EntryStatus.RETIRED.value]),
                CatalogEntry.registered_at.is_not(None), CatalogEntry.registered_at <= as_of,
                or_(CatalogEntry.retired_at.is_(None), CatalogEntry.retired_at > as_of))


def _entries(db: Session, as_of: datetime) -> dict[int, dict[str, int]]:
    last = (select(IngestBatch.entry_id, func.max(IngestBatch.finished_at).label("last"))
            .where(IngestBatch.status.in_(GOOD), IngestBatch.finished_at <= as_of)
            .group_by(IngestBatch.entry_id).subquery())
    cutoff = case({cycle: literal(as_of - age) for cycle, age in ALLOWED_AGE.items()},
                  value=CatalogEntry.update_cycle, else_=None)
    since = func.coalesce(last.c.last, CatalogEntry.registered_at)
    regular = CatalogEntry.update_cycle.in_(list(ALLOWED_AGE))
    manual = CatalogEntry.ingest_mode == IngestMode.MANUAL.value
    accepted = (select(Filing.entry_id).where(Filing.kind == NON_REALTIME, Filing.status == FilingStatus.ACCEPTED.value,
                                              or_(Filing.decided_at.is_(None), Filing.decided_at <= as_of))
                .group_by(Filing.entry_id).subquery())
    query = (select(CatalogEntry.unit_id, func.count(),
                    func.count(last.c.last),
                    func.sum(case((regular, 1), else_=0)),
                    func.sum(case((and_(regular, since >= cutoff), 1), else_=0)),
                    func.sum(case((manual, 1), else_=0)),
                    func.sum(case((and_(manual, accepted.c.entry_id.is_(None)), 1), else_=0)))
             .select_from(CatalogEntry).outerjoin(last, last.c.entry_id == CatalogEntry.id)
             .outerjoin(accepted, accepted.c.entry_id == CatalogEntry.id)
             .where(_current_entries(as_of)).group_by(CatalogEntry.unit_id))
    names = ("entries_registered", "entries_with_data", "load_due", "load_on_time", "filings_needed",
             "filings_missing")
    return {row[0]: dict(zip(names, (int(v or 0) for v in row[1:]), strict=True)) for row in db.execute(query)}


def _quality(db: Session, as_of: datetime) -> dict[int, tuple[int, float]]:
    latest = (select(func.max(QualityReport.id).label("id")).where(QualityReport.created_at <= as_of)
              .group_by(QualityReport.entry_id).subquery())
    query = (select(QualityReport.unit_id, func.count(), func.avg(QualityReport.score))
             .join(latest, latest.c.id == QualityReport.id).group_by(QualityReport.unit_id))
    return {unit_id: (int(n), float(avg)) for unit_id, n, avg in db.execute(query) if avg is not None}


def _answered(db: Session, month: Month, as_of: datetime, *, unit: Any, due: Any, answered: Any,
              where: list[ColumnElement[bool]]) -> dict[int, tuple[int, int]]:
    """(due, answered on time) per unit for deadlines falling in `month` up to `as_of`."""
    on_time = and_(answered.is_not(None), answered <= as_of, local_day(db, answered) <= due)
    query = (select(unit, func.count(), func.sum(case((on_time, 1), else_=0)))
             .where(due >= month.first, due <= month.last, due <= _as_of_day(as_of), *where).group_by(unit))
    return {u: (int(n), int(ok or 0)) for u, n, ok in db.execute(query) if u is not None}


def _as_of_day(as_of: datetime) -> date:
    local = to_local(as_of)
    assert local is not None
    return local.date()


def _shares(db: Session, month: Month, as_of: datetime) -> dict[int, tuple[int, int]]:
    asked = or_(ShareRequest.status != RequestStatus.WITHDRAWN.value, ShareRequest.opinion_at.is_not(None))
    return _answered(db, month, as_of, unit=ShareRequest.provider_unit_id, due=ShareRequest.due_on,
                     answered=ShareRequest.opinion_at, where=[asked, ShareRequest.submitted_at <= as_of])


def _corrections(db: Session, month: Month, as_of: datetime) -> dict[int, tuple[int, int]]:
    return _answered(db, month, as_of, unit=Correction.unit_id, due=Correction.due_on,
                     answered=Correction.answered_at, where=[Correction.created_at <= as_of])


def _demands(db: Session, month: Month, as_of: datetime) -> dict[int, tuple[int, int]]:
    return _answered(db, month, as_of, unit=OpenDemand.unit_id, due=OpenDemand.due_on,
                     answered=OpenDemand.answered_at, where=[OpenDemand.unit_id.is_not(None)])


def _stewards(db: Session) -> dict[int, int]:
    query = (select(User.unit_id, func.count(func.distinct(User.id))).join(UserRole, UserRole.user_id == User.id)
             .where(User.is_active.is_(True), UserRole.role == Role.STEWARD.value, User.unit_id.is_not(None))
             .group_by(User.unit_id))
    return {unit_id: int(n) for unit_id, n in db.execute(query) if unit_id is not None}


def _systems(db: Session, as_of: datetime) -> dict[int, tuple[int, int]]:
    valid = and_(System.assessment_level.is_not(None), System.assessment_valid_until.is_not(None),
                 System.assessment_valid_until >= _as_of_day(as_of))
    query = (select(System.unit_id, func.count(), func.sum(case((valid, 1), else_=0)))
             .where(System.is_active.is_(True), System.created_at <= as_of).group_by(System.unit_id))
    return {unit_id: (int(n), int(ok or 0)) for unit_id, n, ok in db.execute(query)}


def compute(db: Session, month: Month, *, unit_ids: list[int] | None = None) -> dict[int, Figures]:
    """Every unit's figures for `month` (or only `unit_ids`'), keyed by unit id; the unit's region in `extra`."""
    as_of = month.as_of()
    query = select(Unit.id, Unit.region_id, Unit.data_office)  # every unit, in every month: the report's frame
    if unit_ids is not None:
        query = query.where(Unit.id.in_(unit_ids))
    units = db.execute(query.order_by(Unit.id)).all()
    entries, quality = _entries(db, as_of), _quality(db, as_of)
    shares, corrections, demands = _shares(db, month, as_of), _corrections(db, month, as_of), \
        _demands(db, month, as_of)
    stewards, systems = _stewards(db), _systems(db, as_of)
    found: dict[int, Figures] = {}
    for unit_id, region_id, office in units:
        figures = Figures(**entries.get(unit_id, {}), stewards=stewards.get(unit_id, 0),
                          has_office=1 if (office or "").strip() else 0, extra={"region_id": region_id})
        figures.quality_entries, figures.quality_score = quality.get(unit_id, (0, None))
        figures.share_due, figures.share_on_time = shares.get(unit_id, (0, 0))
        figures.corrections_due, figures.corrections_on_time = corrections.get(unit_id, (0, 0))
        figures.demands_due, figures.demands_on_time = demands.get(unit_id, (0, 0))
        figures.systems, figures.systems_valid = systems.get(unit_id, (0, 0))
        figures.units_registered = 1 if figures.stewards and figures.has_office else 0
        found[unit_id] = figures
    return found
