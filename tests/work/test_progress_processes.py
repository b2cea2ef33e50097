"""A progress page answered by another server process than the one running the work shows the work's counts,
on SQLite (shared through a small file per item on the machine) and PostgreSQL (written to the table), both
every couple of seconds. Two real processes: a child runs the work, this test's process reads its progress."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

from govdata import clock
from govdata.actor import Actor, Role
from govdata.storage.engines import open_database
from govdata.work import service
from govdata.work.models import WorkItem, WorkKind
from govdata.work.runner import FLUSH_SECONDS, Finished, Reporter, WorkRunner
from tests.datastore.factories import unit_id


def _running_elsewhere(url: str, gate: str, started: Any, work_ids: Any) -> None:
    clock.configure(os.environ.get("GOVDATA_CLOCK"))
    database = open_database(url)
    runner = WorkRunner(database, threads=1)

    def held(reporter: Reporter) -> Finished:
        reporter.total = 4000
        reporter.advance(1500)
        started.set()
        deadline = time.monotonic() + 120
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        reporter.advance(2500)
        return Finished("/quality/reports/1", "检测完成")

    actor = Actor(kind="user", id=9001, name="测试管理员", roles=frozenset({Role.STEWARD}),
                  unit_id=unit_id(database, "gaj"))
    with database.write() as db:
        work_ids.put(service.start(db, runner, actor, kind=WorkKind.SCAN, key="progress", title="测试任务",
                                   task=held).id)
    deadline = time.monotonic() + 240
    while runner.live and time.monotonic() < deadline:  # until the work has ended and been recorded
        time.sleep(0.05)
    runner.shutdown()
    database.dispose()


def _item(database, work_id: int) -> WorkItem:
    with database.read() as db:
        item = db.get(WorkItem, work_id)
        assert item is not None
        return item


def test_another_process_shows_the_counts_of_work_running_elsewhere(database, tmp_path):
    context = multiprocessing.get_context("spawn")
    started, work_ids = context.Event(), context.Queue()
    gate = tmp_path / "go"
    child = context.Process(target=_running_elsewhere, args=(database.url, str(gate), started, work_ids))
    child.start()
    try:
        work_id = work_ids.get(timeout=120)
        assert started.wait(120)
        here = WorkRunner(database)  # this process runs nothing: what it shows comes from the other one
        deadline = time.monotonic() + FLUSH_SECONDS * 5
        progress = service.progress_of(_item(database, work_id), here)
        while progress.done != 1500 and time.monotonic() < deadline:
            time.sleep(0.1)
            progress = service.progress_of(_item(database, work_id), here)
        assert (progress.state, progress.done, progress.total, progress.percent) == ("running", 1500, 4000, 37)
        gate.touch()
        deadline = time.monotonic() + 120
        while _item(database, work_id).state != "done" and time.monotonic() < deadline:
            time.sleep(0.1)
        finished = service.progress_of(_item(database, work_id), here)
        assert (finished.state, finished.done, finished.total, finished.percent) == ("done", 4000, 4000, 100)
        assert here.shared_counts(work_id) is None  # the shared counts went with the work
    finally:
        gate.touch()
        child.join(timeout=120)
    assert child.exitcode == 0
