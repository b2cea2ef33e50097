"""A killed load leaves no trace; `govdata ingest` loads files like the upload page."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from govdata import config
from govdata.actor import platform_actor
from govdata.cli import app as cli_app
from govdata.config import Settings
from govdata.datastore import records
from govdata.datastore.models import IngestBatch
from govdata.datastore.schema import ensure_table
from govdata.datastore.service import count_rows, get_entry, load_rows
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry

CHILD = textwrap.dedent("""
    import sys, time
    from govdata.actor import platform_actor
    from govdata.storage.engines import open_database
    import govdata.models
    from govdata.datastore.service import get_entry, load_rows

    def rows():
        for i in range(1, 1_000_000):
            yield {"sfzh": f"{i:018d}", "xm": "新值", "nl": i}
            if i == 30_000:
                time.sleep(1.5)  # the first chunks are written by now (inside the open transaction)
                print("STARTED", flush=True)
                time.sleep(600)

    database = open_database(sys.argv[1])
    with database.write() as db:
        entry = get_entry(db, entry_id=int(sys.argv[2]))
        load_rows(db, platform_actor(), entry=entry, rows=rows(), source="cli")
""")


def _state(database: Database, entry_id: int) -> tuple[int, int, Any]:
    with database.read() as db:
        entry = get_entry(db, entry_id=entry_id)
        batches = db.execute(select(func.count()).select_from(IngestBatch)
                             .where(IngestBatch.entry_id == entry_id)).scalar_one()
        first = records.get_record(db.connection(), entry, {"sfzh": f"{1:018d}"})
        return count_rows(db, entry), batches, first


@pytest.mark.parametrize("empty", [False, True], ids=["upsert", "empty-table"])
def test_killed_load_leaves_table_exactly_as_before(database: Database, tmp_path: Path, empty: bool) -> None:
    """Killed while reading a block: on an empty table (PostgreSQL) the last block's COPY is still open then."""
    entry = make_entry(database)
    with database.write() as db:
        loaded = get_entry(db, entry_id=entry.id)
        if empty:
            ensure_table(db, loaded)
        else:
            load_rows(db, platform_actor(), entry=loaded,
                      rows=[{"sfzh": f"{i:018d}", "xm": "旧值"} for i in range(1, 6)], source="cli")
    before = _state(database, entry.id)
    if empty:
        assert before == (0, 0, None)
    else:
        assert before[0] == 5 and before[1] == 1 and before[2]["xm"] == "旧值"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen([sys.executable, str(script), database.url, str(entry.id)], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(root / "src")})
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "STARTED"
    finally:
        child.kill()
        child.wait(30)
    assert child.returncode == -9
    assert _state(database, entry.id) == before
    with database.write() as db:  # the table is usable: the next load goes through
        result = load_rows(db, platform_actor(), entry=get_entry(db, entry_id=entry.id),
                           rows=[{"sfzh": f"{1:018d}", "xm": "再次"}], source="cli")
    assert (result.inserted, result.updated) == ((1, 0) if empty else (0, 1))


@pytest.fixture
def cli_settings(settings: Settings) -> Any:
    config.set_settings(settings)
    yield settings
    config._settings = None


def test_cli_ingest_gb18030_dry_run_then_load(database: Database, tmp_path: Path, cli_settings: Settings) -> None:
    entry = make_entry(database, ingest_mode="manual")
    path = tmp_path / "人口.csv"
    path.write_bytes("公民身份号码,姓名,nl\n350802199001011234,张三,30\n11010519491231002X,李四,x\n".encode("gb18030"))
    runner = CliRunner()
    dry = runner.invoke(cli_app, ["ingest", entry.code, str(path), "--dry-run", "--mode", "load_valid"])
    assert dry.exit_code == 1 and "rejected=1" in dry.output and "第 3 行 nl" in dry.output
    done = runner.invoke(cli_app, ["ingest", entry.code, str(path), "--mode", "load_valid"])
    assert done.exit_code == 0, done.output
    assert "inserted=1" in done.output
    with database.read() as db:
        assert count_rows(db, get_entry(db, entry_id=entry.id)) == 1
    bad = runner.invoke(cli_app, ["ingest", entry.code, str(tmp_path / "missing.csv")])
    assert bad.exit_code == 2 and "不存在" in bad.output
    refused = runner.invoke(cli_app, ["ingest", "NOPE", str(path)])
    assert refused.exit_code == 2
