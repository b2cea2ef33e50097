"""Engines, sessions and the declarative base.

SQLite runs in WAL mode with foreign keys on. Writing sessions there start with BEGIN IMMEDIATE,
because a deferred transaction that read first and writes later fails with SQLITE_BUSY_SNAPSHOT
when another writer committed in between (the busy timeout cannot help it); reading sessions stay
deferred so that they never wait for writers. PostgreSQL uses one engine for both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
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


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=10)

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

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to the driver: every unit of work pays this, and SQLAlchemy's statement machinery
        # (execution context, result object) costs more than the BEGIN itself.
        conn.connection.dbapi_connection.execute(begin)

    return engine


@dataclass
class Database:
    """The two session factories of one database (identical on PostgreSQL)."""

    url: str
    engine: Engine
    write_engine: Engine
    checkpointer: Checkpointer | None = None  # SQLite files: WAL checkpoints in the background

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def reader(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def writer(self) -> Session:
        return Session(self.write_engine, expire_on_commit=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        session = self.writer()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

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
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def open_database(url: str) -> Database:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if not path or path == ":memory:":
            return Database(url, _sqlite_engine(url, immediate=False), _sqlite_engine(url, immediate=True))
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return Database(url, _sqlite_engine(url, immediate=False), _sqlite_engine(url, immediate=True),
                        Checkpointer(path).start())
    engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
    return Database(url, engine, engine)


def database_for(settings: Settings) -> Database:
    return open_database(settings.url)


def rowcount(result: Any) -> int:
    """Rows touched by an UPDATE/DELETE (typed helper: Result does not declare rowcount)."""
    return int(getattr(result, "rowcount", 0) or 0)


# Kept for typing in domains: a session factory is what services receive.
SessionFactory = sessionmaker[Session]
