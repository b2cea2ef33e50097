"""Reads that may go to a PostgreSQL streaming replica (`GOVDATA_DATABASE_REPLICA_URL`).

Only reads that need not see a write of their own are sent here: the catalog's lists and search, the public
portal's pages and search, and the rows of streamed downloads. Everything that writes or must see its own write,
every audited sharing lookup and every decision about who may see what (the actor, sessions, grants) stays on
the primary, so a lagging replica can show a list a few seconds old but never let anyone past a revoked grant.

A replica is used only while it answers and is no further behind than `replica_max_lag_seconds`. The check is
two tiny statements (the primary's WAL position, the replica's replayed position and the time of its last
replayed commit), made at most once a second per process and by one thread at a time; between checks the last
answer stands. A replica that refuses a connection is marked down at once and rechecked a second later, so
reads fall back to the primary and come back on their own.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("govdata.replica")
CHECK_EVERY_SECONDS = 1.0
CONNECT_TIMEOUT_SECONDS = 2

PRIMARY_POSITION = text("SELECT pg_current_wal_lsn()::text")
# On a replica: how far it has replayed, and how old its last replayed commit is (its own clock, the same
# machine or NTP-synchronised hosts). A primary given by mistake answers NULL for the position.
REPLICA_POSITION = text("SELECT pg_last_wal_replay_lsn()::text, "
                        "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())")


def _lsn(value: str | None) -> int | None:
    """A PostgreSQL WAL position ('16/B374D848') as a number, to compare two of them."""
    if not value:
        return None
    high, _, low = value.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass
class ReplicaState:
    usable: bool
    reason: str  # for the log and the operator: "ok", "lagging 12.3 s", "unreachable", "not a replica"


def measure(primary: Engine, replica: Engine, max_lag_seconds: float) -> ReplicaState:
    """Whether the replica may answer reads now."""
    try:
        with replica.connect() as conn:
            replayed_text, age = conn.execute(REPLICA_POSITION).one()
        with primary.connect() as conn:
            current = _lsn(conn.execute(PRIMARY_POSITION).scalar_one())
    except SQLAlchemyError as exc:
        return ReplicaState(False, f"unreachable: {type(getattr(exc, 'orig', None) or exc).__name__}")
    replayed = _lsn(replayed_text)
    if replayed is None:
        return ReplicaState(False, "not a replica")
    if current is None or replayed >= current:
        return ReplicaState(True, "ok")
    # Behind the primary: how long since the last commit it replayed is how stale its answers may be.
    lag = float(age) if age is not None else float("inf")
    if lag > max_lag_seconds:
        return ReplicaState(False, f"lagging {lag:.1f} s")
    return ReplicaState(True, f"behind by {lag:.1f} s")


class ReplicaRouter:
    """Chooses, per read, between the replica's engine and the primary's."""

    def __init__(self, url: str, primary: Engine, *, max_lag_seconds: float) -> None:
        self.url = url
        self.primary = primary
        self.engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True,
                                    connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
        self.max_lag_seconds = max_lag_seconds
        self.state = ReplicaState(False, "not checked yet")
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def engine_for_reads(self) -> Engine:
        """The replica's engine when it is usable, otherwise the primary's."""
        if time.monotonic() - self._checked_at >= CHECK_EVERY_SECONDS and self._lock.acquire(blocking=False):
            try:
                self._check()
            finally:
                self._lock.release()
        return self.engine if self.state.usable else self.primary

    def mark_down(self, reason: str) -> None:
        """A read found the replica gone: the primary answers until the next check finds it back."""
        self.state = ReplicaState(False, reason)
        self._checked_at = time.monotonic()
        log.warning("replica set aside: %s", reason)

    def _check(self) -> None:
        state = measure(self.primary, self.engine, self.max_lag_seconds)
        if state.usable != self.state.usable:
            log.warning("replica %s: %s", "in use" if state.usable else "set aside", state.reason)
        self.state = state
        self._checked_at = time.monotonic()

    def dispose(self) -> None:
        self.engine.dispose()
