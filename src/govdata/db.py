"""Engines, sessions and the declarative base.

SQLite runs in WAL mode with foreign keys on. Writing sessions there start with BEGIN IMMEDIATE,
because a deferred transaction that read first and writes later fails with SQLITE_BUSY_SNAPSHOT
when another writer committed in between (the busy timeout cannot help it); reading sessions stay
deferred so that they never wait for writers. Writing sessions on SQLite keep their connection out of
the pool between units of work (`_Shelf`): a short audited write costs less than the pool round trip,
and until the ORM is used they leave the transaction to the driver (`_ShelfSession`).
PostgreSQL uses one engine for both, through the pool (pre-pinged).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from govdata.checkpoint import AUTOCHECKPOINT_PAGES, Checkpointer
from govdata.config import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def normalize_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


POOL_SIZE = 10  # SQLite connections per engine
SHELF_SIZE = 4  # SQLite write connections kept out of the pool between units of work


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
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")  # a safety net: see govdata.checkpoint
        cur.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    def _do_begin(fairy: Any) -> None:
        # The dialect's own hook rather than a "begin" event: with no connection events on the engine,
        # SQLAlchemy skips its event dispatch on every begin, execute and commit, which every unit of
        # work pays. Straight to the driver, as the statement machinery costs more than the BEGIN itself.
        # A transaction the driver already has open (begun by a writing session, see _ShelfSession) is
        # the one SQLAlchemy now takes over.
        driver = fairy.dbapi_connection
        if not driver.in_transaction:
            driver.execute(begin)

    engine.dialect.do_begin = _do_begin  # type: ignore[method-assign,assignment]
    return engine


class _Shelf:
    """Write connections kept between units of work (SQLite), so that a short write skips the pool.

    Checking a connection out of SQLAlchemy's pool and back in costs more than the SQL of a short
    audited write on SQLite. A connection comes back here only when it is clean (no transaction, not
    invalidated); at most `keep` wait here, the rest go back to the pool.
    """

    def __init__(self, engine: Engine, keep: int) -> None:
        self.engine = engine
        self.keep = keep
        self._idle: list[Connection] = []
        self._closed = False

    def take(self) -> Connection:
        try:
            return self._idle.pop()  # atomic: threads never get the same connection
        except IndexError:
            return self.engine.connect()

    def give_back(self, conn: Connection) -> None:
        if self._closed or conn.closed or conn.invalidated or _in_transaction(conn) or len(self._idle) >= self.keep:
            conn.close()
        else:
            self._idle.append(conn)

    def close(self) -> None:
        self._closed = True  # connections still in use go back to the pool when their sessions close
        while self._idle:
            self._idle.pop().close()


class _ShelfSession(Session):
    """A writing session on a shelved connection; closing the session puts the connection back.

    Driver-level work runs in a transaction that only the driver knows about. Most audited writes use
    only `db.connection()` (driver SQL, govdata.driversql) and the audit append, and for them the
    transaction bookkeeping of the ORM (SessionTransaction) and of Core cost more than their SQL did.
    So until the ORM is used, `connection()` has the driver begin the transaction (the dialect's BEGIN
    IMMEDIATE), and commit and rollback end it there, firing the session events a transaction holding
    no ORM state can have: before_commit (the audit append), after_commit, and after_rollback (pending
    audit dropped). Core or the ORM joining in take that transaction over (the dialect's begin adopts
    it, see _sqlite_engine), and from then on this is an ordinary session.
    tests/test_write_session.py fails if a listener for an event this path does not fire is added.
    """

    def __init__(self, shelf: _Shelf) -> None:
        self._shelf: _Shelf | None = shelf
        self._conn = shelf.take()
        super().__init__(bind=self._conn, expire_on_commit=False, join_transaction_mode="control_fully")

    def _in_driver_transaction(self) -> bool:
        """A transaction is open that the ORM has not begun (it is the driver's, or Core's over it)."""
        return self._transaction is None and self._shelf is not None and _in_transaction(self._conn)

    def _end_driver_transaction(self, commit: bool) -> None:
        # Core statements may have taken the driver's transaction over: then Core ends it.
        conn = self._conn
        owner: Any = conn if conn.in_transaction() else conn.connection.dbapi_connection
        if commit:
            owner.commit()
        else:
            owner.rollback()

    def connection(self, bind_arguments: Any = None, execution_options: Any = None) -> Connection:
        if self._transaction is None and self._shelf is not None and not bind_arguments and not execution_options:
            conn = self._conn
            fairy = conn.connection
            if not fairy.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                conn.dialect.do_begin(fairy)  # type: ignore[arg-type]
            return conn
        return super().connection(bind_arguments, execution_options)

    def commit(self) -> None:
        if self._transaction is None and self._shelf is not None:
            self.dispatch.before_commit(self)  # the audit append, which may begin the transaction only now
            if self._transaction is None:
                self._end_driver_transaction(commit=True)
                self.dispatch.after_commit(self)
                return
            # A before_commit listener used the ORM, whose transaction took this one over: the session
            # finishes it (and calls before_commit again, so listeners there must be idempotent).
        super().commit()

    def rollback(self) -> None:
        if self._in_driver_transaction():
            self._end_driver_transaction(commit=False)
            self.dispatch.after_rollback(self)
            return
        super().rollback()

    def close(self) -> None:
        try:
            if self._in_driver_transaction():
                self._end_driver_transaction(commit=False)  # as closing ends a transaction (no rollback event)
            if self._transaction is not None or self.identity_map or self._new:
                super().close()  # expunges the objects, rolls back what the ORM still has open
        finally:
            shelf, self._shelf = self._shelf, None
            if shelf is not None:
                self.bind = shelf.engine  # should the session be used again, it takes a pool connection
                shelf.give_back(self._conn)


def _in_transaction(conn: Connection) -> bool:
    """Whether Core or, below it, the driver has a transaction open on `conn`."""
    if conn.in_transaction():
        return True
    return not conn.closed and not conn.invalidated and bool(
        conn.connection.dbapi_connection.in_transaction)  # type: ignore[union-attr]


class _UnitOfWork:
    """`Database.write()`: a plain class rather than a generator, as every audited write pays for it."""

    __slots__ = ("database", "session")

    def __init__(self, database: Database) -> None:
        self.database = database
        self.session: Session | None = None

    def __enter__(self) -> Session:
        self.session = self.database.writer()
        return self.session

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        session = self.session
        assert session is not None
        self.session = None
        try:
            if exc_type is not None:
                session.rollback()
                return
            try:
                session.commit()
            except BaseException:
                session.rollback()
                raise
        finally:
            session.close()


@dataclass
class Database:
    """The two session factories of one database (identical on PostgreSQL)."""

    url: str
    engine: Engine
    write_engine: Engine
    _shelf: _Shelf | None = None  # SQLite: write connections kept between units of work
    checkpointer: Checkpointer | None = None  # SQLite files: WAL checkpoints in the background

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def reader(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def writer(self) -> Session:
        if self._shelf is not None:
            return _ShelfSession(self._shelf)
        return Session(self.write_engine, expire_on_commit=False)

    def write(self) -> _UnitOfWork:
        """One unit of work: commit on success, roll back on any error (`with database.write() as db:`)."""
        return _UnitOfWork(self)

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self.reader()
        try:
            yield session
        finally:
            session.close()  # objects stay readable (detached), nothing is written

    def dispose(self) -> None:
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
        return Database(url, _sqlite_engine(url, immediate=False), write_engine, _Shelf(write_engine, keep=SHELF_SIZE),
                        Checkpointer(str(path)).start() if on_disk else None)
    engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
    return Database(url, engine, engine)


def database_for(settings: Settings) -> Database:
    return open_database(settings.url)


def rowcount(result: Any) -> int:
    """Rows touched by an UPDATE/DELETE (typed helper: Result does not declare rowcount)."""
    return int(getattr(result, "rowcount", 0) or 0)


# Kept for typing in domains: a session factory is what services receive.
SessionFactory = sessionmaker[Session]
