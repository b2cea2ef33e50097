"""Background work: an item goes queued → running → done with its counts, a failure is recorded in Chinese,
the same work is never started twice, a restart fails what was left, and only its owner and unit see it."""

from __future__ import annotations

import csv
import io
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from govdata.actor import Actor, Role
from govdata.errors import RuleViolation
from govdata.storage.engines import Database
from govdata.work import service
from govdata.work.models import WorkItem, WorkKind
from govdata.work.runner import INTERRUPTED, Finished, Reporter, WorkRunner
from tests.datastore.factories import make_entry, unit_id
from tests.quality.factories import grant_fields, insert_rows
from tests.quality.factories import make_entry as quality_entry
from tests.quality.test_comparison import _pair
from tests.work.conftest import WAIT, finished, user


def _actor(database: Database) -> Actor:
    return Actor(kind="user", id=9001, name="测试管理员", roles=frozenset({Role.STEWARD}),
                 unit_id=unit_id(database, "gaj"))


def _item(database: Database, work_id: int) -> WorkItem:
    with database.read() as db:
        item = db.get(WorkItem, work_id)
        assert item is not None
        return item


def _wait(database: Database, work_id: int, states: tuple[str, ...]) -> WorkItem:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        item = _item(database, work_id)
        if item.state in states:
            return item
        time.sleep(0.02)
    raise AssertionError(f"work {work_id} never reached {states}: {_item(database, work_id).state}")


def _start(database: Database, runner: WorkRunner, key: str, task: Any) -> int:
    with database.write() as db:
        return service.start(db, runner, _actor(database), kind=WorkKind.SCAN, key=key, title="测试任务",
                             task=task).id


def test_queued_running_done_with_counts(database: Database) -> None:
    runner = WorkRunner(database, threads=1)
    gate = threading.Event()

    def held(reporter: Reporter) -> Finished:
        reporter.total = 3000
        reporter.advance(1000)
        assert gate.wait(WAIT)
        reporter.advance(2000)
        return Finished("/quality/reports/1", "检测完成")

    first = _start(database, runner, "a", held)
    second = _start(database, runner, "b", lambda reporter: Finished("/x", "好了"))
    running = _wait(database, first, ("running",))
    assert _item(database, second).state == "queued"  # one thread: it waits its turn
    progress = service.progress_of(running, runner)
    assert (progress.done, progress.total, progress.percent, progress.finished) == (1000, 3000, 33, False)
    assert progress.time_left.startswith("约 ") or progress.time_left == "正在估算剩余时间"
    gate.set()
    done = _wait(database, first, ("done",))
    assert (done.done, done.total, done.result_href, done.result_text) == (3000, 3000, "/quality/reports/1", "检测完成")
    assert done.active_key is None and done.started_at is not None and done.finished_at is not None
    assert service.progress_of(done, runner).percent == 100
    assert _wait(database, second, ("done",)).result_text == "好了"
    runner.shutdown()


def test_failures_recorded_in_chinese(database: Database) -> None:
    runner = WorkRunner(database)

    def refused(reporter: Reporter) -> Finished:
        reporter.advance(5)
        raise RuleViolation("资源已停用，不再接收数据")

    def broken(reporter: Reporter) -> Finished:
        raise ValueError("internal detail")

    ruled = _wait(database, _start(database, runner, "r", refused), ("failed",))
    assert ruled.error == "资源已停用，不再接收数据" and ruled.done == 5 and ruled.active_key is None
    crashed = _wait(database, _start(database, runner, "c", broken), ("failed",))
    assert crashed.error.startswith("任务失败：系统内部错误（ValueError）") and "internal detail" not in crashed.error
    runner.shutdown()


def test_second_submit_while_running_is_refused(database: Database) -> None:
    runner = WorkRunner(database)
    gate = threading.Event()
    ran: list[int] = []

    def held(reporter: Reporter) -> Finished:
        ran.append(1)
        assert gate.wait(WAIT)
        return Finished("/x", "完成")

    first = _start(database, runner, "upload:1", held)
    with pytest.raises(service.WorkRunning) as refused:
        _start(database, runner, "upload:1", held)
    assert refused.value.work_id == first and refused.value.status == 409
    assert "未重复提交" in refused.value.message
    gate.set()
    _wait(database, first, ("done",))
    again = _start(database, runner, "upload:1", lambda reporter: Finished("/y", "再次完成"))  # free once ended
    assert _wait(database, again, ("done",)).result_text == "再次完成"
    assert ran == [1]
    with database.read() as db:
        assert len(db.execute(select(WorkItem)).scalars().all()) == 2
    runner.shutdown()


def test_restart_fails_what_a_gone_process_left(database: Database) -> None:
    with database.write() as db:
        db.add_all([WorkItem(kind="upload", title="旧任务", owner_name="某人", state="running", done=10,
                             active_key="upload:77", runner="elsewhere-host:1"),
                    WorkItem(kind="upload", title="本机旧任务", owner_name="某人", state="running", done=10,
                             active_key="upload:78", runner=f"{WorkRunner(database).name.rsplit(':', 1)[0]}:999999"),
                    WorkItem(kind="scan", title="排队", owner_name="某人", state="queued", active_key="scan:5",
                             runner=WorkRunner(database).name)])
    assert WorkRunner(database).sweep() == 2
    with database.read() as db:
        items = {i.title: i for i in db.execute(select(WorkItem)).scalars()}
    assert items["旧任务"].state == "running"  # another host's process is not judged from here
    for title in ("本机旧任务", "排队"):
        assert items[title].state == "failed" and items[title].error == INTERRUPTED
        assert items[title].active_key is None


def _csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sfzh", "xm", "nl"])
    for i in range(rows):
        writer.writerow([f"{110101199001010000 + i}", f"姓名{i}", str(i % 90)])
    return out.getvalue().encode()


FIELDS = [{"name": "sfzh", "label": "公民身份号码", "data_type": "C", "length": 18, "is_key": True},
          {"name": "xm", "label": "姓名", "data_type": "C", "length": 50, "is_lookup": True},
          {"name": "nl", "label": "年龄", "data_type": "I"}]


def test_upload_over_threshold_runs_in_background(app_with: Any, database: Database, web: Any) -> None:
    entry = make_entry(database, ingest_mode="manual", fields=FIELDS)
    steward = user(app_with(work_threshold_bytes=1), "steward_gaj")
    sent = steward.client.post(f"/resources/{entry.id}/upload", data={"csrf_token": steward.csrf},
                               files={"file": ("人口.csv", _csv(3000), "text/csv")})
    preview = sent.headers["location"]
    started = steward.post(preview + "/load", {"mode": "all_or_nothing"})
    assert started.status_code == 303 and started.headers["location"].startswith("/work/")
    work_id = started.headers["location"].rsplit("/", 1)[1]
    page = steward.get(f"/work/{work_id}")
    assert page.status_code == 200 and 'data-testid="work-bar"' in page.text and "/static/progress.js" in page.text
    body = finished(steward, started.headers["location"])
    assert body["state"] == "done" and body["done"] == 3000 and body["total"] == 3000 and body["percent"] == 100
    assert body["result_href"].startswith("/resources/batches/")
    assert "已写入：共 3000 行，新增 3000" in body["result_text"]
    assert "已写入" in steward.get(body["result_href"]).text
    done_page = steward.get(f"/work/{work_id}").text
    assert "查看结果" in done_page and body["result_href"] in done_page
    # The unit's head sees it too; another unit's steward and a vendor do not.
    assert web("head_gaj").get(f"/api/v1/work/{work_id}").status_code == 200
    for other in ("steward_scjg", "vendor"):
        assert web(other).get(f"/work/{work_id}").status_code in (403, 404)
    assert steward.get("/api/v1/work/999999").status_code == 404


def test_bad_upload_fails_in_chinese(app_with: Any, database: Database) -> None:
    entry = make_entry(database, ingest_mode="manual", fields=FIELDS)
    steward = user(app_with(work_threshold_bytes=1), "steward_gaj")
    sent = steward.client.post(f"/resources/{entry.id}/upload", data={"csrf_token": steward.csrf},
                               files={"file": ("错表头.csv", "甲,乙\n1,2\n".encode(), "text/csv")})
    started = steward.post(sent.headers["location"] + "/load", {"mode": "all_or_nothing"})
    body = finished(steward, started.headers["location"])
    assert body["state"] == "failed" and body["error"] and body["error"].isascii() is False
    assert "Traceback" not in body["error"]


def test_scan_and_comparison_of_large_tables_run_in_background(app_with: Any, database: Database) -> None:
    app = app_with(work_threshold_rows=50)
    left, right, _people = _pair(database)  # 57 and 55 rows: over the threshold of 50
    grant_fields(database, right, "gaj", ["sfzh", "xm", "csrq"])
    steward = user(app, "steward_gaj")
    started = steward.post(f"/quality/entries/{left.id}/scan")
    assert started.status_code == 303 and started.headers["location"].startswith("/work/")
    body = finished(steward, started.headers["location"])
    assert body["state"] == "done" and body["kind"] == "scan" and body["done"] == 57 and body["total"] == 57
    assert body["result_href"].startswith("/quality/reports/")
    assert body["result_text"].startswith("检测完成：检查 57 行")
    assert steward.get(body["result_href"]).status_code == 200

    made = steward.post("/quality/comparisons", {"name": "户籍与民政", "left_code": left.code,
                                                 "right_code": right.code, "key.0.left": "sfzh",
                                                 "key.0.right": "sfzh", "field.0.left": "xm", "field.0.right": "xm",
                                                 "field.1.left": "csrq", "field.1.right": "csrq", "threshold": "0.9"})
    assert made.status_code == 303, made.text
    comparison_id = made.headers["location"].split("?")[0].rsplit("/", 1)[1]
    started = steward.post(f"/quality/comparisons/{comparison_id}/run")
    assert started.headers["location"].startswith("/work/")
    body = finished(steward, started.headers["location"])
    assert body["state"] == "done" and body["kind"] == "compare" and body["total"] == 112
    assert body["result_href"].startswith("/quality/comparison-runs/") and "未达标" in body["result_text"]
    # Another unit's steward cannot start a scan of this table: refused before any work is queued.
    assert user(app, "steward_mz").post(f"/quality/entries/{left.id}/scan").status_code == 403
    with database.read() as db:
        assert {i.kind for i in db.execute(select(WorkItem)).scalars()} == {"scan", "compare"}


def test_small_scan_still_runs_in_the_request(app_with: Any, database: Database) -> None:
    entry = quality_entry(database, unit="gaj", name="小表")
    insert_rows(database, entry, [{"sfzh": f"35080219900101{i:04d}", "xm": f"人{i}"} for i in range(3)])
    done = user(app_with(work_threshold_rows=50), "steward_gaj").post(
        f"/quality/entries/{entry.id}/scan")
    assert done.headers["location"].startswith("/quality/reports/")
