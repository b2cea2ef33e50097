"""Quality reports: scores from a scan, stored per batch and per scan; trends per resource and per unit."""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime, timedelta

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry, EntryStatus, UpdateCycle
from govdata.errors import NotFound
from govdata.hooks import BatchSummary
from govdata.masking import exits
from govdata.policy import Action
from govdata.quality.corrections import open_from_rules
from govdata.quality.models import QualityReport, ReportKind
from govdata.quality.scan import RuleResult, ScanOutcome, scan
from govdata.quality.slices import Progress
from govdata.timeutil import fmt, local_midnight_utc, to_local

CYCLE_DAYS = {UpdateCycle.REALTIME.value: 1, UpdateCycle.DAILY.value: 1, UpdateCycle.WEEKLY.value: 7,
              UpdateCycle.MONTHLY.value: 31, UpdateCycle.QUARTERLY.value: 92, UpdateCycle.HALF_YEARLY.value: 183,
              UpdateCycle.YEARLY.value: 366}
DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency", "timeliness")
DIMENSION_LABELS = {"completeness": "完整性", "validity": "有效性", "uniqueness": "唯一性",
                    "consistency": "一致性", "timeliness": "及时性", "score": "综合"}


def timeliness(update_cycle: str, last_update: datetime | None, now: datetime) -> float:
    """1 within the update cycle, falling to 0 at three cycles without an update (irregular: always 1)."""
    days = CYCLE_DAYS.get(update_cycle)
    if days is None:
        return 1.0
    if last_update is None:
        return 0.0
    age = (now - last_update).total_seconds() / 86400
    if age <= days:
        return 1.0
    return max(0.0, 1.0 - (age - days) / (2 * days))


def _pass_ratio(results: list[RuleResult], dimension: str, rows: int) -> float | None:
    chosen = [r for r in results if r.dimension == dimension]
    if not chosen or rows == 0:
        return None
    return max(0.0, 1.0 - sum(r.failed for r in chosen) / (rows * len(chosen)))


def scores(entry: CatalogEntry, outcome: ScanOutcome, now: datetime) -> dict[str, float]:
    fill = outcome.filled / outcome.cells if outcome.cells else 1.0
    required = _pass_ratio(outcome.results, "completeness", outcome.rows)
    out = {"completeness": fill if required is None else (fill + required) / 2}
    for dimension in ("validity", "uniqueness", "consistency"):
        ratio = _pass_ratio(outcome.results, dimension, outcome.rows)
        out[dimension] = 1.0 if ratio is None else ratio
    out["timeliness"] = timeliness(entry.update_cycle, outcome.last_update, now)
    out["score"] = sum(out[d] for d in DIMENSIONS) / len(DIMENSIONS)
    return {k: round(v, 4) for k, v in out.items()}


def build_report(db: Session, entry: CatalogEntry, *, kind: ReportKind, batch_id: int | None = None, rejected: int = 0,
                 by: str = "", summary: BatchSummary | None = None,
                 progress: Progress | None = None) -> tuple[QualityReport, ScanOutcome]:
    started = time.perf_counter()
    outcome = scan(db, entry, batch_id=batch_id, summary=summary, progress=progress)
    now = clock.now()
    report = QualityReport(entry_id=entry.id, unit_id=entry.unit_id, kind=kind.value, batch_id=batch_id,
                           rows_checked=outcome.rows, rows_rejected=rejected, created_by=by, created_at=now,
                           results=orjson.dumps([asdict(r) for r in outcome.results]).decode(),
                           **scores(entry, outcome, now))
    report.seconds = round(time.perf_counter() - started, 3)
    db.add(report)
    db.flush()
    return report, outcome


def get_entry(db: Session, entry_id: int) -> CatalogEntry:
    entry = db.get(CatalogEntry, entry_id)
    if entry is None:
        raise NotFound("资源不存在", field="entry_id")
    return entry


def run_scan(db: Session, actor: Actor, *, entry_id: int, workdays: int,
             progress: Progress | None = None) -> QualityReport:
    """On-demand or scheduled scan of one resource; failed rules may open corrections for its producer.
    `progress` is told the rows read as the scan goes (background work's bar)."""
    entry = get_entry(db, entry_id)
    with acting(db, actor, Action.QUALITY_SCAN, target=entry) as audit:
        report, outcome = build_report(db, entry, kind=ReportKind.SCAN, by=actor.name, progress=progress)
        opened = open_from_rules(db, entry, outcome.results, workdays=workdays)
        audit.row_count = outcome.rows
        audit.details = {"report_id": report.id, "score": report.score, "corrections_opened": opened}
    return report


def get_report(db: Session, actor: Actor, *, report_id: int) -> QualityReport:
    """A report as `actor` may see it. Its failed rules carry sample rows, values of the unit's data, so each
    view is on the record like any other read of them (with the stated purpose: a vendor always gives one)."""
    report = db.get(QualityReport, report_id)
    if report is None:
        raise NotFound("质量报告不存在", field="report_id")
    with acting(db, actor, Action.QUALITY_VIEW, target=report) as audit:
        audit.details = {"view": "report"}
    return report


def report_results(report: QualityReport) -> list[dict[str, object]]:
    return list(orjson.loads(report.results))


def results_for(db: Session, actor: Actor, report: QualityReport) -> list[dict[str, object]]:
    """The report's results with their sample rows as `actor` may see them: the producing unit in clear, the
    supervisors (and a vendor) masked by each field's rule (`masking.exits`)."""
    results = report_results(report)
    entry = db.get(CatalogEntry, report.entry_id)
    if entry is None:
        return [{**r, "samples": []} for r in results]
    masker = exits.view_for(db, actor, entry)
    if masker.is_clear:
        return results
    for result in results:
        samples = result.get("samples")
        if isinstance(samples, list):
            result["samples"] = [{k: (masker.mask_value(k, v) if k in masker.rules else v if k.startswith("_")
                                      else "****") for k, v in sample.items()} for sample in samples]
    return results


def entry_trend(db: Session, *, entry_id: int, limit: int = 30) -> list[QualityReport]:
    query = (select(QualityReport).where(QualityReport.entry_id == entry_id)
             .order_by(QualityReport.id.desc()).limit(limit))
    return list(reversed(db.execute(query).scalars().all()))


def unit_trend(db: Session, *, unit_id: int, limit: int = 30) -> list[tuple[str, float]]:
    """Mean score of the unit's reports per local day (北京时间, as people date their checks), oldest first:
    the last `limit` days with reports in the last year."""
    since = local_midnight_utc(clock.today() - timedelta(days=366))
    query = (select(QualityReport.created_at, QualityReport.score)
             .where(QualityReport.unit_id == unit_id, QualityReport.created_at >= since))
    by_day: dict[str, list[float]] = {}
    for at, score in db.execute(query):
        local = to_local(at)
        if local is not None:
            by_day.setdefault(local.date().isoformat(), []).append(float(score))
    days = sorted(by_day)[-limit:]
    return [(d, round(sum(by_day[d]) / len(by_day[d]), 4)) for d in days]


def score_by_unit(db: Session) -> list[tuple[int, float]]:
    """Each unit's mean score over its resources' newest reports (the city-wide chart), best first."""
    newest = select(func.max(QualityReport.id)).group_by(QualityReport.entry_id)
    query = (select(QualityReport.unit_id, func.avg(QualityReport.score)).where(QualityReport.id.in_(newest))
             .group_by(QualityReport.unit_id).order_by(func.avg(QualityReport.score).desc()))
    return [(int(u), round(float(s), 4)) for u, s in db.execute(query).all()]


def trend_series(reports: list[QualityReport]) -> list[tuple[str, float]]:
    """A resource's reports as chart points dated by their local time, oldest first."""
    return [(fmt(r.created_at), r.score) for r in reports]


def latest_query(actor: Actor, *, unit_id: int | None) -> Select[CatalogEntry, QualityReport]:
    """Each registered entry `actor` may see the quality of (of one unit, or all) with its newest report (or
    None), as one query a list pages, sorts and filters (web.tables)."""
    newest = (select(QualityReport.entry_id, func.max(QualityReport.id).label("report_id"))
              .group_by(QualityReport.entry_id).subquery())
    query = (select(CatalogEntry, QualityReport)
             .outerjoin(newest, newest.c.entry_id == CatalogEntry.id)
             .outerjoin(QualityReport, QualityReport.id == newest.c.report_id)
             .where(CatalogEntry.status == EntryStatus.REGISTERED.value,
                    policy.where(actor, Action.QUALITY_VIEW, CatalogEntry)))
    if unit_id is not None:
        query = query.where(CatalogEntry.unit_id == unit_id)
    return query
