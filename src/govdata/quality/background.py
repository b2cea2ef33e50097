"""Scans and comparisons of large tables run as background work (`govdata.work`): the same services, on the
runner's thread, each in its own unit of work; the result is the report or the run's page."""

from __future__ import annotations

from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.datastore.service import count_rows
from govdata.policy import Action
from govdata.quality import compare, reports
from govdata.work import service as work
from govdata.work.models import WorkItem, WorkKind
from govdata.work.runner import Finished, Reporter, WorkRunner


def _not_running(db: Session, key: str) -> None:
    """The same work already queued or running: its page, whatever the table's size is now (never a second)."""
    running = work.active(db, key=key)
    if running is not None:
        raise work.WorkRunning(running.id)


def scan_key(entry_id: int) -> str:
    return f"scan:{entry_id}"


def compare_key(comparison_id: int) -> str:
    return f"compare:{comparison_id}"


def start_scan(db: Session, runner: WorkRunner, actor: Actor, *, entry_id: int, workdays: int,
               threshold: int) -> WorkItem | None:
    """A scan of a table of `threshold` rows or more as background work; None: small enough to run now."""
    entry = reports.get_entry(db, entry_id)
    policy.require(actor, Action.QUALITY_SCAN, entry)
    _not_running(db, scan_key(entry_id))
    rows = count_rows(db, entry)
    if rows < threshold:
        return None

    def task(reporter: Reporter) -> Finished:
        with runner.database.write() as own:
            report = reports.run_scan(own, actor, entry_id=entry_id, workdays=workdays, progress=reporter.advance)
            reporter.total = reporter.done = report.rows_checked
            return Finished(f"/quality/reports/{report.id}",
                            f"检测完成：检查 {report.rows_checked:,} 行，综合得分 {report.score * 100:.1f}")

    return work.start(db, runner, actor, kind=WorkKind.SCAN, key=scan_key(entry_id), total=rows,
                      title=f"质量检测：{entry.name}", task=task)


def start_comparison(db: Session, runner: WorkRunner, actor: Actor, *, comparison_id: int,
                     threshold: int) -> WorkItem | None:
    """A comparison of `threshold` rows or more (both sides together) as background work; None: run it now."""
    comparison = compare.get_comparison(db, actor, comparison_id=comparison_id)
    _not_running(db, compare_key(comparison_id))
    left, right = (reports.get_entry(db, entry_id) for entry_id in (comparison.left_entry_id,
                                                                     comparison.right_entry_id))
    rows = count_rows(db, left) + count_rows(db, right)
    if rows < threshold:
        return None

    def task(reporter: Reporter) -> Finished:
        with runner.database.write() as own:
            run = compare.run_comparison(own, actor, comparison_id=comparison_id, progress=reporter.advance)
            reporter.total = reporter.done = run.left_rows + run.right_rows
            return Finished(f"/quality/comparison-runs/{run.id}",
                            f"比对完成：两侧共 {run.left_rows + run.right_rows:,} 行，一致率 {run.ratio * 100:.1f}%"
                            f"{'，达标' if run.passed else '，未达标'}")

    return work.start(db, runner, actor, kind=WorkKind.COMPARE, key=compare_key(comparison_id), total=rows,
                      title=f"数据比对：{comparison.name}", task=task)
