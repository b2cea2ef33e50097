"""Background work: start it (once per thing it works on), find it, and say how far it got."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.config import Settings
from govdata.errors import Conflict, NotFound
from govdata.policy import Action
from govdata.storage.base import row_by_id
from govdata.work.models import WorkItem, WorkKind, WorkState
from govdata.work.runner import ACTIVE, Task, WorkRunner
from govdata.work.schemas import WorkRead

STATE_LABELS = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}
KIND_LABELS = {"upload": "上传写入", "scan": "质量检测", "compare": "数据比对", "export": "导出"}


class WorkRunning(Conflict):
    """The same work is already queued or running: the page shows that one instead of starting another."""

    def __init__(self, work_id: int | None) -> None:
        super().__init__("同一项工作正在进行，未重复提交；请等待它完成", field=None)
        self.work_id = work_id


def in_background(settings: Settings, *, rows: int | None = None, size: int | None = None) -> bool:
    """Whether work of this many rows (or bytes of file) is run in the background (GOVDATA_WORK_* settings)."""
    return (rows is not None and rows >= settings.work_threshold_rows) or (
        size is not None and size >= settings.work_threshold_bytes)


def active(db: Session, *, key: str) -> WorkItem | None:
    return db.execute(select(WorkItem).where(WorkItem.active_key == key[:120])).scalar_one_or_none()


def start(db: Session, runner: WorkRunner, actor: Actor, *, kind: WorkKind, key: str, title: str, task: Task,
          total: int | None = None, measure: str = "行") -> WorkItem:
    """Record the work and hand it to the runner; refused (WorkRunning) while the same `key` is active.

    Commits the caller's unit of work (a named commit): the runner's own unit of work must find the item, and
    on SQLite it could not write while the request still held the write lock. A refused start rolls it back."""
    item = WorkItem(kind=kind.value, title=title[:300], owner_id=actor.id if actor.kind == "user" else None,
                    owner_name=actor.name[:128], unit_id=actor.unit_id, state=WorkState.QUEUED.value,
                    total=total, measure=measure, active_key=key[:120], runner=runner.name, created_at=clock.now())
    try:
        with db.begin_nested():
            db.add(item)
            db.flush()
    except IntegrityError:
        db.rollback()  # nothing of a refused start is kept (an export's record included)
        running = active(db, key=key)
        raise WorkRunning(running.id if running is not None else None) from None
    db.commit()
    runner.submit(item.id, task)
    return item


def get(db: Session, actor: Actor, *, work_id: int, action: Action = Action.WORK_VIEW) -> WorkItem:
    """An item to see (`work.view`: its owner and unit) or whose file to take (`work.download`: its owner)."""
    item = row_by_id(db, WorkItem, work_id)
    if item is None:
        raise NotFound("后台任务不存在", field="work_id")
    policy.require(actor, action, item)
    return item


def _time_left(seconds: int | None) -> str:
    if seconds is None:
        return "正在估算剩余时间"
    if seconds < 60:
        return f"约 {max(seconds, 1)} 秒"
    return f"约 {round(seconds / 60)} 分钟"


def _counts(done: int, total: int | None, percent: int | None, measure: str) -> str:
    if percent is not None and total:
        return f"已处理 {done:,} / {total:,} {measure}（{percent}%）"
    if total:
        return f"共 {total:,} {measure}，正在处理，完成后显示结果"
    return f"已处理 {done:,} {measure}"


def progress_of(item: WorkItem, runner: WorkRunner) -> WorkRead:
    """How far `item` got: a running item's counts come from its reporter. Work whose loop does not report
    (its total known, nothing done yet) has no percentage, and its bar shows only that it is busy."""
    live = runner.live.get(item.id) if item.state in ACTIVE else None
    done, total = (live.done, live.total if live.total is not None else item.total) if live else (item.done, item.total)
    shared = runner.shared_counts(item.id) if live is None and item.state in ACTIVE else None
    if shared is not None:  # SQLite: running in another process of this machine
        done, total = shared[0], shared[1] if shared[1] is not None else item.total
    reporting = item.state not in ACTIVE or done > 0 or (live is not None and live.total is not None)
    percent = min(100, done * 100 // total) if total and reporting else None
    seconds: int | None = None
    if item.state == WorkState.RUNNING.value and item.started_at is not None and total and 0 < done < total:
        elapsed = (clock.now() - item.started_at).total_seconds()
        seconds = round(elapsed * (total - done) / done)
    elif item.state == WorkState.DONE.value:
        seconds, percent = 0, 100
    elif item.state == WorkState.FAILED.value and percent is None:
        percent = 0  # a bar that stands still
    left = "" if item.state not in ACTIVE else _time_left(seconds)
    return WorkRead(id=item.id, kind=item.kind, title=item.title, state=item.state,
                    state_label=STATE_LABELS.get(item.state, item.state), done=done, total=total,
                    measure=item.measure, percent=percent, seconds_left=seconds if item.state in ACTIVE else None,
                    time_left=left, result_href=item.result_href, result_text=item.result_text, error=item.error,
                    counts=_counts(done, total, percent, item.measure), finished=item.state not in ACTIVE)
