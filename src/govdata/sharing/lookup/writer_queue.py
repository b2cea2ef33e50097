"""Queueing SQLite writers of the sharing API, across threads and across server processes.

SQLite lets one writer in at a time; the others sleep and retry (busy timeout, in steps of up to 100 ms),
which wastes most of the time and makes the latency tail long under concurrent calls. Waiting on an OS
file lock beside the database instead wakes the next writer the moment the current one finishes. It
guards no state (quotas and counters stay in the database) and PostgreSQL needs none of it.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from sqlalchemy.engine import make_url

from govdata.storage.engines import Database

_LOCK = threading.Lock()  # one thread of this process at a time holds (or waits for) the file lock
_FILES: dict[str, IO[bytes]] = {}


def _lock_file(database: Database) -> IO[bytes] | None:
    path = make_url(database.url).database
    if not path or path == ":memory:":
        return None
    handle = _FILES.get(path)
    if handle is None:
        handle = _FILES[path] = open(f"{path}-writer.lock", "ab")  # noqa: SIM115 (kept for the process)
    return handle


@contextmanager
def queued_writer(database: Database) -> Iterator[None]:
    """Hold this while a write transaction on an SQLite database runs (a no-op on PostgreSQL)."""
    if not database.is_sqlite:
        yield
        return
    with _LOCK:
        handle = _lock_file(database)
        if handle is None:
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

