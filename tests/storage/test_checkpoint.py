"""SQLite's write-ahead log is copied back into the database file in the background, not by a commit."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import text

from govdata.storage.checkpoint import AUTOCHECKPOINT_PAGES
from govdata.storage.engines import open_database


def test_commits_leave_checkpoints_to_the_background_thread(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        assert database.checkpointer is not None
        with database.write_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == AUTOCHECKPOINT_PAGES
        with database.write() as db:
            db.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        with database.write() as db:  # ~2 MB: far below the commit-time threshold, so only the thread copies it
            db.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "x" * 1000} for _ in range(2000)])
        main_file = tmp_path / "wal.db"
        deadline = time.monotonic() + 10
        while os.path.getsize(main_file) < 2_000_000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert os.path.getsize(main_file) >= 2_000_000
    finally:
        database.dispose()
    assert not database.checkpointer._thread.is_alive()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_memory_databases_have_no_checkpointer(url):
    database = open_database(url)
    assert database.checkpointer is None
    database.dispose()
