"""Scans and comparisons tell their progress as they go (rows done of the total), and reading a table in
slices gives the same report as reading it whole."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from govdata.actor import Actor, Role
from govdata.app import create_app
from govdata.config import Settings
from govdata.quality import compare, reports, slices
from govdata.quality.schemas import ComparisonCreate
from govdata.storage.engines import Database
from tests.quality.factories import grant_fields, idcard, insert_rows, make_entry, unit_id
from tests.work.conftest import finished, user

ROWS = 240
RULES = {"sfzh": [{"type": "idcard"}], "xm": [{"type": "required"}], "nl": [{"type": "range", "min": 0, "max": 120}],
         "lxdh": [{"type": "phone"}]}


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of a few dozen rows, so that a test table of a few hundred rows is read in several."""
    monkeypatch.setattr(slices, "MIN_ROWS", 10)
    monkeypatch.setattr(slices, "ROWS_PER_BLOCK", 100)  # PostgreSQL: a slice per block


def _steward(database: Database) -> Actor:
    return Actor(kind="user", id=9001, name="测试管理员", roles=frozenset({Role.STEWARD}),
                 unit_id=unit_id(database, "gaj"))


def _people(count: int, start: int = 0) -> list[dict[str, Any]]:
    rows = []
    for i in range(start, start + count):
        bad = i % 7 == 0
        rows.append({"sfzh": idcard(date(1980, 1, 1 + i % 28), i) if not bad else f"35080219800101{i:04d}",
                     "xm": "" if i % 11 == 0 else f"人{i}", "nl": 150 if i % 13 == 0 else 40,
                     "lxdh": "12345" if i % 5 == 0 else "13800138000"})
    return rows


def _results(report: Any) -> dict[str, int]:
    return {str(r["key"]): int(r["failed"]) for r in reports.report_results(report)}  # type: ignore[call-overload]


def test_scan_reports_rows_as_it_goes_and_agrees_with_a_whole_read(database: Database, small_slices: None) -> None:
    entry = make_entry(database, unit="gaj", rules=RULES)
    insert_rows(database, entry, _people(ROWS))
    told: list[int] = []
    with database.write() as db:
        sliced = reports.run_scan(db, _steward(database), entry_id=entry.id, workdays=5, progress=told.append)
        sliced_scores = (sliced.rows_checked, sliced.score, sliced.completeness, sliced.validity, _results(sliced))
    with database.write() as db:
        whole = reports.run_scan(db, _steward(database), entry_id=entry.id, workdays=5)
        whole_scores = (whole.rows_checked, whole.score, whole.completeness, whole.validity, _results(whole))
    assert len(told) >= 3, told  # the bar moved several times, not once at the end
    assert sum(told) == ROWS and all(n >= 0 for n in told)
    assert sliced_scores == whole_scores
    assert whole_scores[0] == ROWS and whole_scores[4]["nl:range(max=120,min=0)"] == len(range(0, ROWS, 13))


def test_comparison_reports_both_sides_and_agrees(database: Database, small_slices: None) -> None:
    left = make_entry(database, unit="gaj", name="户籍")
    right = make_entry(database, unit="mz", name="民政")
    insert_rows(database, left, _people(200))
    changed = _people(150, start=100)
    changed[0]["xm"] = "改名"
    insert_rows(database, right, changed)
    grant_fields(database, right, "gaj", ["sfzh", "xm", "nl"])
    steward = _steward(database)
    with database.write() as db:
        made = compare.create_comparison(db, steward, data=ComparisonCreate(
            name="进度", left_code=left.code, right_code=right.code, key_pairs=[("sfzh", "sfzh")],
            field_pairs=[("xm", "xm"), ("nl", "nl")], threshold=0.5))
        comparison_id = made.id
    told: list[int] = []
    counts = []
    for progress in (told.append, None):
        with database.write() as db:
            run = compare.run_comparison(db, steward, comparison_id=comparison_id, progress=progress)
            counts.append((run.left_rows, run.right_rows, run.matched, run.equal, run.only_left, run.only_right,
                           run.field_diffs, run.kept))
    assert counts[0] == counts[1]
    assert counts[0][:6] == (200, 150, 100, 99, 100, 50)
    assert len(told) >= 3 and sum(told) == 350 and told[-1] == 150  # the left in slices, then the right


def test_background_scan_shows_counts_under_its_bar(database: Database, tmp_path: Path, small_slices: None) -> None:
    app = create_app(Settings(home=tmp_path / "home", database_url=database.url, demo=True, run_jobs_in_server=False,
                              secret_key="test-secret", work_threshold_rows=50), database, migrate=False,
                     run_jobs=False)
    entry = make_entry(database, unit="gaj", rules=RULES)
    insert_rows(database, entry, _people(ROWS))
    steward = user(app, "steward_gaj")
    started = steward.post(f"/quality/entries/{entry.id}/scan")
    assert started.headers["location"].startswith("/work/")
    body = finished(steward, started.headers["location"])
    assert (body["state"], body["done"], body["total"], body["percent"]) == ("done", ROWS, ROWS, 100)
    assert body["counts"] == f"已处理 {ROWS} / {ROWS} 行（100%）"
