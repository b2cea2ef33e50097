"""The scale bench (`python -m bench.scale`, `make bench SIZE=10m`): its smoke run prints one table of cost against
size with the data paths' rows at both quick sizes, and the people it makes carry the demo's 身份证.

The smoke run uses SQLite whatever the suite runs on (it makes its own database): it runs once, in the SQLite
pass, so that the PostgreSQL pass does not pay for it twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bench.bulk_people import HEADER, People
from bench.scale import growth
from bench.scale_types import ScalePoint

from govdata.datastore import demo

ROOT = Path(__file__).resolve().parents[1]


def test_people_rows_carry_the_demos_keys_and_columns(tmp_path: Path) -> None:
    people = People()
    path = tmp_path / "people.csv"
    people.write_csv(path, 2_345)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == HEADER and len(lines) == 2_346
    for i in (0, 1, 999, 1_000, 2_344):
        values = dict(zip(HEADER, lines[i + 1].split(","), strict=True))
        assert values["sfzh"] == demo.sfzh(i) == people.sfzh(i)
        assert values["csrq"] == f"{values['sfzh'][6:10]}-{values['sfzh'][10:12]}-{values['sfzh'][12:14]}"
        assert values["xzqh"] == values["sfzh"][:6]
    assert people.sfzh(9_999_999) == demo.sfzh(9_999_999)  # the largest size's last person


def test_growth_keeps_to_the_issues_rule() -> None:
    def point(value: float, unit: str, higher: bool, size: int = 1) -> ScalePoint:
        return ScalePoint("w", size, value, unit, higher)

    assert growth(point(100, "rows/s", True), point(85, "rows/s", True), "1m", "10m").endswith("✓")
    assert growth(point(100, "rows/s", True), point(75, "rows/s", True), "1m", "10m").endswith("✗")
    assert growth(point(10, "ms", False), point(11.9, "ms", False), "1m", "10m").endswith("✓")  # within 2 ms
    assert growth(point(20, "ms", False), point(30, "ms", False), "1m", "10m").endswith("✗")
    assert growth(point(10, "s", False, 1), point(100, "s", False, 10), "1m", "10m").endswith("✓")  # per row flat
    assert growth(point(10, "s", False, 1), point(150, "s", False, 10), "1m", "10m").endswith("✗")
    disk = [ScalePoint("disk", size, mb, "MB", False, per_size=True) for size, mb in ((1, 2592.0), (10, 24739.0))]
    assert growth(disk[0], disk[1], "1m", "10m").endswith("✓")  # bytes on disk grow with the events, no faster
    assert growth(disk[0], ScalePoint("disk", 10, 40000.0, "MB", False, per_size=True), "1m", "10m").endswith("✗")
    assert growth(point(190, "MB", False), point(400, "MB", False), "1m", "10m").endswith("✗")  # memory stays flat


@pytest.mark.skipif(os.environ.get("GOVDATA_DATABASE_URL", "").startswith("postgres"),
                    reason="runs on SQLite in the suite's SQLite pass")
def test_quick_scale_run_prints_the_table(tmp_path: Path) -> None:
    out = tmp_path / "scale.md"
    env = {k: v for k, v in os.environ.items() if k != "GOVDATA_DATABASE_URL"}
    # its own session: should it overrun, its servers and load child go with it, not only the runner
    proc = subprocess.Popen([sys.executable, "-m", "bench.scale", "--quick", "--only", "scale_data", "--markdown",
                             str(out)], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert proc.returncode == 0, output[-6000:]
    table = out.read_text(encoding="utf-8")
    assert "| work | backend | 10k | 100k | growth |" in table
    for work in ("CSV ingest, demo rule set on 人口基础信息, empty table", "share lookup, audited, 32 clients",
                 "share lookup p99", "CPU per answered lookup", "open data: masked CSV download",
                 "per CPU-second of the server", "per CPU-second of the loading process", "that ingest's peak memory"):
        row = next((line for line in table.splitlines() if work in line), "")
        assert "| sqlite |" in row and "100k/10k:" in row, (work, table)


def test_the_audit_trail_is_built_only_as_large_as_the_disk_holds(database: Any, settings: Any, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """50 M events take about 26 GB: asked for more than the disk where the trail goes can hold, the bench builds
    what fits and says so, instead of failing hours in with the disk full."""
    from bench import scale_audit
    from bench.scale_types import ScaleContext

    asked = 10**13  # 7 PB at 700 bytes an event: no disk holds it
    monkeypatch.setattr(scale_audit, "LARGEST", asked)
    backend = "sqlite" if database.is_sqlite else "postgresql"
    ctx = ScaleContext(database, settings, tmp_path, backend, rows=1, audit_events=asked)
    built = scale_audit._events_to_build(ctx)
    free = scale_audit._free_bytes(ctx)
    if free is None:  # a PostgreSQL whose data directory this test cannot see: the cap alone applies
        assert built == asked and ctx.notes == []
        return
    assert 0 < built <= free // scale_audit.BYTES_PER_EVENT
    assert "GiB free" in ctx.notes[0] and f"{built:,} built" in ctx.notes[0]
    small = ScaleContext(database, settings, tmp_path, backend, rows=1, audit_events=1_000)
    assert scale_audit._events_to_build(small) == 1_000 and small.notes == []
