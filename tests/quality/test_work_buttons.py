"""While a scan or a comparison runs in the background, its page shows the button disabled ("正在运行…") with
a link to the progress, and posting again goes to the running work instead of starting a second one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from govdata import clock
from govdata.actor import Actor, Role
from govdata.quality import background, compare
from govdata.quality.schemas import ComparisonCreate
from govdata.storage.engines import Database
from govdata.work.models import WorkItem, WorkState
from tests.quality.factories import grant_fields, insert_rows, make_entry, unit_id


def _running(database: Database, key: str, kind: str) -> int:
    """A work item as the runner records one it is working on (its process is this one, so it is not swept)."""
    with database.write() as db:
        item = WorkItem(kind=kind, title="测试任务", owner_id=None, owner_name="测试", unit_id=unit_id(database, "gaj"),
                        state=WorkState.RUNNING.value, total=1000, active_key=key, runner="elsewhere:1",
                        created_at=clock.now(), started_at=clock.now())
        db.add(item)
        db.flush()
        return item.id


def _end(database: Database, work_id: int) -> None:
    with database.write() as db:
        db.execute(update(WorkItem).where(WorkItem.id == work_id).values(state=WorkState.DONE.value, active_key=None))


def _items(database: Database) -> int:
    with database.read() as db:
        return int(db.execute(select(func.count()).select_from(WorkItem)).scalar_one())


def _button(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[page.rindex("<button", 0, start):page.index("</button>", start)]


def _check(person: Any, database: Database, page_url: str, post_url: str, work_id: int, testid: str) -> None:
    page = person.get(page_url).text
    button = _button(page, testid)
    assert " disabled" in button and "正在运行…" in button
    assert f'href="/work/{work_id}"' in page and "查看进度" in page
    again = person.post(post_url)
    assert again.status_code == 303 and again.headers["location"].startswith(f"/work/{work_id}?msg=")
    assert "未重复提交" in person.get(again.headers["location"]).text
    assert _items(database) == 1  # no second one started
    _end(database, work_id)
    button = _button(person.get(page_url).text, testid)
    assert " disabled" not in button and "正在运行" not in button


def test_scan_button_disabled_while_its_scan_runs(web: Any, database: Database) -> None:
    entry = make_entry(database, unit="gaj")
    insert_rows(database, entry, [{"sfzh": f"35080219900101{i:04d}", "xm": f"人{i}"} for i in range(3)])
    work_id = _running(database, background.scan_key(entry.id), "scan")
    steward = web("steward_gaj")
    _check(steward, database, f"/quality/entries/{entry.id}", f"/quality/entries/{entry.id}/scan", work_id,
           "scan-button")
    # Ended: the (small) scan runs in the request again.
    assert steward.post(f"/quality/entries/{entry.id}/scan").headers["location"].startswith("/quality/reports/")


def test_compare_button_disabled_while_its_comparison_runs(web: Any, database: Database) -> None:
    left, right = make_entry(database, unit="gaj"), make_entry(database, unit="mz")
    grant_fields(database, right, "gaj", ["sfzh", "xm"])
    steward_actor = Actor(kind="user", id=9001, name="测试", roles=frozenset({Role.STEWARD}),
                          unit_id=unit_id(database, "gaj"))
    with database.write() as db:
        comparison_id = compare.create_comparison(db, steward_actor, data=ComparisonCreate(
            name="按钮", left_code=left.code, right_code=right.code, key_pairs=[("sfzh", "sfzh")],
            field_pairs=[("xm", "xm")])).id
    work_id = _running(database, background.compare_key(comparison_id), "compare")
    _check(web("steward_gaj"), database, f"/quality/comparisons/{comparison_id}",
           f"/quality/comparisons/{comparison_id}/run", work_id, "compare-button")
