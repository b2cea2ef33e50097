"""Engines and the database object: how govdata connects to SQLite or PostgreSQL.

SQLite runs in WAL mode with foreign keys on. Writing sessions there start with BEGIN IMMEDIATE,
because a deferred transaction that read first and writes later fails with SQLITE_BUSY_SNAPSHOT
when another writer committed in between (the busy timeout cannot help it); reading sessions stay
deferred so that they never wait for writers. Writing sessions on SQLite keep their connection out of
the pool between units of work (`storage.shelf`). PostgreSQL uses one engine for both, through the pool
(pre-pinged). Sessions are opened and ended by the one unit of work (`storage.unit_of_work`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from govdata.config import Settings
from govdata.storage.checkpoint import AUTOCHECKPOINT_PAGES, Checkpointer
from govdata.storage.replica import ReplicaRouter
from govdata.storage.shelf import SHELF_SIZE, Shelf, ShelfSession
from govdata.storage.unit_of_work import UnitOfWork


def normalize_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


POOL_SIZE = 10  # SQLite connections per engine


def _bind_as_is(value: Any) -> Any:
    return value


# The sqlite3 driver binds a None only after searching for an adapter the slow way (two attribute
# lookups that each raise and format an AttributeError), about as long as binding five other values;
# an audit row binds a dozen. A registered adapter is found at once. None still binds as NULL.
sqlite3.register_adapter(type(None), _bind_as_is)


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=POOL_SIZE)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        # Sorts and temporary B-trees spill to files past the page cache: with temp_store=MEMORY, rebuilding a
        # lookup index after a 10 M-row load held the whole sort in memory (886 MB); a file-backed sort of 3 M
        # keys measured 146 MB against 266 MB and was no slower (the OS caches the spill anyway).
        cur.execute("PRAGMA temp_store=FILE")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")  # a safety net: see storage.checkpoint
        cur.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    def _do_begin(fairy: Any) -> None:
        # The dialect's own hook rather than a "begin" event: with no connection events on the engine,
        # SQLAlchemy skips its event dispatch on every begin, execute and commit, which every unit of
        # work pays. Straight to the driver, as the statement machinery costs more than the BEGIN itself.
        # A transaction the driver already has open (begun by a writing session, see storage.shelf) is
        # the one SQLAlchemy now takes over.
        driver = fairy.dbapi_connection
        if not driver.in_transaction:
            driver.execute(begin)

    engine.dialect.do_begin = _do_begin  # type: ignore[method-assign,assignment]
    return engine


@dataclass
class Database:
    """The two session factories of one database (identical on PostgreSQL)."""

    url: str
    engine: Engine
    write_engine: Engine
    _shelf: Shelf | None = None  # SQLite: write connections kept between units of work
    checkpointer: Checkpointer | None = None  # SQLite files: WAL checkpoints in the background
    replica: ReplicaRouter | None = None  # PostgreSQL: a streaming replica for reads that may lag (storage.replica)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def reader(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def writer(self) -> Session:
        if self._shelf is not None:
            return ShelfSession(self._shelf)
        return Session(self.write_engine, expire_on_commit=False)

    def write(self) -> UnitOfWork:
        """The unit of work of a service call, a CLI command or a job (`with database.write() as db:`)."""
        return UnitOfWork(self, write=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self.reader()
        try:
            yield session
        finally:
            session.close()  # objects stay readable (detached), nothing is written

    def reads(self) -> Database:
        """This database as seen by a read that need not see its own writes (a list, a search, the rows of a
        streamed download): on the replica while it is usable, otherwise the database itself."""
        if self.replica is None:
            return self
        return Database(self.url, self.replica.engine_for_reads(), self.write_engine)

    def replica_reader(self) -> Session:
        """A reading session on the replica when it answers, else on the primary (see `reads`). The connection
        is taken now, so a replica that went away falls back here rather than failing the request later."""
        if self.replica is None:
            return self.reader()
        engine = self.replica.engine_for_reads()
        if engine is self.engine:
            return self.reader()
        session = Session(engine, expire_on_commit=False)
        try:
            session.connection()
        except OperationalError as exc:
            session.close()
            self.replica.mark_down(f"unreachable: {type(exc.orig).__name__}")
            return self.reader()
        return session

    def dispose(self) -> None:
        if self.replica is not None:
            self.replica.dispose()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self._shelf is not None:
            self._shelf.close()
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def open_database(url: str) -> Database:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        on_disk = bool(path) and path != ":memory:"
        if on_disk:
            Path(str(path)).parent.mkdir(parents=True, exist_ok=True)
        write_engine = _sqlite_engine(url, immediate=True)
        return Database(url, _sqlite_engine(url, immediate=False), write_engine, Shelf(write_engine, keep=SHELF_SIZE),
                        Checkpointer(str(path)).start() if on_disk else None)
    engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
    return Database(url, engine, engine)


def database_for(settings: Settings) -> Database:
    database = open_database(settings.url)
    if settings.database_replica_url and not database.is_sqlite:
        database.replica = ReplicaRouter(normalize_url(settings.database_replica_url), database.engine,
                                         max_lag_seconds=settings.replica_max_lag_seconds)
    return database


def rowcount(result: Any) -> int:
    """Rows touched by an UPDATE/DELETE (typed helper: Result does not declare rowcount)."""
    return int(getattr(result, "rowcount", 0) or 0)

