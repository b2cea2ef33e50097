"""Queueing SQLite writers of the sharing API, across threads and across server processes.

SQLite lets one writer in at a time; the others sleep and retry (busy timeout, in steps of up to 100 ms),
which wastes most of the time and makes the latency tail long under concurrent calls. Waiting on an OS
file lock beside the database instead wakes the next writer the moment the current one finishes. It
guards no state (quotas and counters stay in the database) and PostgreSQL needs none of it.

The group committer writes on the event loop, where it must never wait: `try_queued_writer` takes the file
lock only if it is free, and `begin_now` starts the write transaction only if no other writer (an upload, a
review, another process) holds the database; otherwise the caller keeps its batch and tries again later.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

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



@contextmanager
def try_queued_writer(database: Database) -> Iterator[bool]:
    """As `queued_writer`, without waiting: yields False (holding nothing) when another writer holds the lock."""
    if not database.is_sqlite:
        yield True
        return
    if not _LOCK.acquire(blocking=False):
        yield False
        return
    try:
        handle = _lock_file(database)
        if handle is None:
            yield True
            return
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        _LOCK.release()


def begin_now(db: Session) -> bool:
    """Begin the SQLite writing session's transaction (BEGIN IMMEDIATE) without waiting for the busy timeout:
    False when another connection holds the write lock (nothing is begun). The session then takes this
    transaction over (`storage.engines` adopts a transaction the driver already has)."""
    driver: Any = db.get_bind().connection.dbapi_connection  # type: ignore[union-attr]
    if driver.in_transaction:
        return True
    waits = driver.execute("PRAGMA busy_timeout").fetchone()[0]
    driver.execute("PRAGMA busy_timeout=0")
    try:
        driver.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        return False
    finally:
        driver.execute(f"PRAGMA busy_timeout={int(waits)}")
    return True
