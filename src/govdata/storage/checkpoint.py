"""SQLite WAL checkpoints off the request path.

In WAL mode SQLite copies the log back into the database file (a checkpoint) when a commit finds the log
past a threshold, and that commit waits for it, including the flush of the database file to disk. Under
steady writes (every sharing call commits an audit event) that put a stall of up to a few hundred
milliseconds on one request in a few thousand, measured, with the write lock held meanwhile. Here a
background thread per process checkpoints every second in PASSIVE mode, which never takes the write lock
and so never holds up writers or readers; the commit-time checkpoint stays as a safety net at a much larger
log (`AUTOCHECKPOINT_PAGES`), should this thread fall behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger("govdata.storage")
INTERVAL_SECONDS = 1.0
AUTOCHECKPOINT_PAGES = 16384  # 64 MiB of log at 4 KiB pages (SQLite's own default is 1000 pages)


class Checkpointer:
    """One daemon thread checkpointing one SQLite database file until `stop`."""

    def __init__(self, path: str, interval: float = INTERVAL_SECONDS) -> None:
        self.path, self.interval = path, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="govdata-wal-checkpoint", daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self.interval):
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, timeout=1, isolation_level=None, check_same_thread=False)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # e.g. the file went away (a test's temp dir): try again later
                    log.debug("WAL checkpoint of %s skipped: %s", self.path, exc)
                    if conn is not None:
                        conn.close()
                        conn = None
        finally:
            if conn is not None:
                conn.close()
