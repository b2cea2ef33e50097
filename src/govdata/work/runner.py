"""Running background work: a small thread pool inside the server process.

A task gets a `Reporter` and calls `advance(n)` as its loop finishes blocks of rows: an integer add, no
database write, so a load's hot path pays nothing measurable and SQLite's single writer (the load itself)
is never waited for. The progress endpoint reads the reporter of a running item; the table holds the item's
state, and its counts once it ends. Every few seconds the counts are also shared with the other server
processes: on PostgreSQL written to the table (a short transaction of its own), so any process or machine serving
the progress page shows them; on SQLite (one machine; the load holds the one write lock) written to a small file
per item in a folder named for the database file (`shared_counts`), which every process of that machine reads.

An item left queued or running by a process that is gone (a restart) is failed with a message that says so;
the work it did was inside one transaction and was not kept.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from govdata import clock
from govdata.errors import GovdataError
from govdata.storage.engines import Database
from govdata.work.models import WorkItem, WorkState

log = logging.getLogger("govdata.work")
INTERRUPTED = "服务重启，任务已中断，没有写入任何结果，请重新提交"
ACTIVE = (WorkState.QUEUED.value, WorkState.RUNNING.value)
FLUSH_SECONDS = 2.0


@dataclass(frozen=True)
class Finished:
    """Where the result is (a batch, a report, a download) and one line that says how it ended."""

    href: str
    text: str


class Reporter:
    """What a task calls as it goes; read by the progress endpoint from another thread (plain ints)."""

    __slots__ = ("done", "total", "work_id")

    def __init__(self, work_id: int = 0) -> None:
        self.work_id = work_id
        self.done = 0
        self.total: int | None = None

    def advance(self, rows: int) -> None:
        self.done += rows


Task = Callable[[Reporter], Finished]


def of_app(request: Any) -> WorkRunner:
    """The app's runner (made by `create_app`)."""
    return request.app.state.work  # type: ignore[no-any-return]


def _counts_folder(url: str) -> Path:
    """Where a SQLite installation's processes share progress counts: a folder in the machine's temporary
    directory named for the database file (no file beside the database, so backups never see one)."""
    name = hashlib.sha256(url.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"govdata-work-{name}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _write_counts(path: Path, reporter: Reporter) -> None:
    partial = path.with_suffix(".part")
    partial.write_text(f"{reporter.done} {'' if reporter.total is None else reporter.total}")
    os.replace(partial, path)  # a reader sees the old counts or the new ones, never half a line


def runner_name() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}"


def _gone(runner: str) -> bool:
    """Whether the process named `runner` (host:pid) is no longer there; another host's is never judged."""
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname()[:80] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class WorkRunner:
    def __init__(self, database: Database, *, threads: int = 2) -> None:
        self.database = database
        self.threads = threads
        self.name = runner_name()
        self.live: dict[int, Reporter] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="govdata-work")
            return self._pool

    def submit(self, work_id: int, task: Task) -> None:
        reporter = Reporter(work_id)
        self.live[work_id] = reporter
        self._executor().submit(self._run, work_id, task, reporter)
        with self._lock:
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_loop, name="govdata-work-flush", daemon=True)
                self._flusher.start()

    def _flush_loop(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            for work_id, reporter in list(self.live.items()):
                counts: dict[str, object] = {"done": reporter.done}
                if reporter.total is not None:
                    counts["total"] = reporter.total
                try:
                    if self.database.is_sqlite:
                        _write_counts(self._counts_file(work_id), reporter)
                        continue
                    with self.database.write() as db:
                        db.execute(update(WorkItem).where(WorkItem.id == work_id,
                                                          WorkItem.state == WorkState.RUNNING.value).values(**counts))
                except Exception:
                    log.exception("background work %s: progress not written", work_id)

    def _run(self, work_id: int, task: Task, reporter: Reporter) -> None:
        try:
            self._set(work_id, state=WorkState.RUNNING.value, started_at=clock.now())
            finished = task(reporter)
            values = {"state": WorkState.DONE.value, "result_href": finished.href[:500],
                      "result_text": finished.text[:500]}
        except GovdataError as exc:
            values = {"state": WorkState.FAILED.value, "error": exc.message}
        except Exception as exc:  # recorded on the item, in words its owner can act on
            log.exception("background work %s failed", work_id)
            values = {"state": WorkState.FAILED.value,
                      "error": f"任务失败：系统内部错误（{type(exc).__name__}），没有写入任何结果，请联系平台运维"}
        # Done: the count is what was done (a file's lines were counted ahead, a quoted line break counts twice).
        total = reporter.done if values["state"] == WorkState.DONE.value or reporter.total is None else reporter.total
        try:
            self._set(work_id, done=reporter.done, total=total, finished_at=clock.now(), active_key=None, **values)
        except Exception:
            log.exception("background work %s: its end could not be recorded", work_id)
        finally:
            self.live.pop(work_id, None)
            if self.database.is_sqlite:
                self._counts_file(work_id).unlink(missing_ok=True)

    def _counts_file(self, work_id: int) -> Path:
        return _counts_folder(self.database.url) / str(work_id)

    def shared_counts(self, work_id: int) -> tuple[int, int | None] | None:
        """SQLite: the counts another process of this machine last shared for a running item (done, total)."""
        if not self.database.is_sqlite:
            return None
        try:
            done, _, total = self._counts_file(work_id).read_text().partition(" ")
            return int(done), int(total) if total.strip() else None
        except (OSError, ValueError):
            return None

    def _set(self, work_id: int, **values: object) -> None:
        with self.database.write() as db:
            db.execute(update(WorkItem).where(WorkItem.id == work_id).values(**values))

    def sweep(self) -> int:
        """At start-up: fail the items whose process is gone (queued or running when it stopped). An item under
        this process's own name is one of a former process that had the same pid (nothing runs here yet)."""
        with self.database.write() as db:
            stale = [item.id for item in db.execute(select(WorkItem).where(WorkItem.state.in_(ACTIVE))).scalars()
                     if item.runner == self.name or _gone(item.runner)]
            if stale:
                db.execute(update(WorkItem).where(WorkItem.id.in_(stale)).values(
                    state=WorkState.FAILED.value, error=INTERRUPTED, finished_at=clock.now(), active_key=None))
        return len(stale)

    def shutdown(self) -> None:
        self._stop.set()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
