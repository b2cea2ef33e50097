"""Reads of the API's hot paths, awaited on the event loop.

On SQLite a read is a few microseconds in this process and never waits for a network: it runs inline
(a thread hop would cost more than the read). On PostgreSQL every read waits for a round trip, and
neither blocking the event loop nor hopping to a worker thread per call is cheap (a worker thread costs
more CPU in GIL hand-offs than the read itself, measured), so reads go through async psycopg
connections in autocommit mode from a pool per event loop (psycopg-pool: reconnects, size limits).
The pools are closed when the app shuts down.

Both readers run the same `driversql` statements; code that needs the ORM for a rare read (a table's
shape on its first call) passes a function that gets a synchronous Session.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from govdata.storage.driversql import DriverQuery, Prepared
from govdata.storage.engines import Database

T = TypeVar("T")
# What a failed read raises, whichever reader ran it: answered as 503, never as a 500.
READ_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, sqlite3.Error, psycopg.Error)
POOL_MAX = 32  # connections per server process; a lookup holds one for its reads only
POOL_TIMEOUT = 5.0  # seconds to wait for a connection before answering 503


class Reader(Protocol):
    database: Database
    dialect: Dialect

    async def run(self, query: DriverQuery, params: Mapping[str, Any]) -> list[Any]: ...

    async def with_session(self, fn: Callable[[Session], T]) -> T: ...


async def first(reader: Reader, prepared: Prepared, params: Mapping[str, Any]) -> Any:
    rows = await reader.run(prepared.for_dialect(reader.dialect), params)
    return rows[0] if rows else None


async def all_rows(reader: Reader, prepared: Prepared, params: Mapping[str, Any]) -> list[Any]:
    return await reader.run(prepared.for_dialect(reader.dialect), params)


class InlineReader:
    """SQLite: each statement runs at once on a pooled connection (autocommit: it sees the latest commit)."""

    def __init__(self, database: Database, conn: Connection) -> None:
        self.database, self.conn, self.dialect = database, conn, conn.dialect

    async def run(self, query: DriverQuery, params: Mapping[str, Any]) -> list[Any]:
        return query.all(self.conn, params)

    async def with_session(self, fn: Callable[[Session], T]) -> T:
        with Session(bind=self.conn) as db:
            return fn(db)


class PgReader:
    """PostgreSQL: an async psycopg connection in autocommit mode (each statement its own snapshot)."""

    def __init__(self, database: Database, conn: psycopg.AsyncConnection[Any]) -> None:
        self.database, self.conn, self.dialect = database, conn, database.engine.dialect

    async def run(self, query: DriverQuery, params: Mapping[str, Any]) -> list[Any]:
        async with self.conn.cursor() as cursor:
            await cursor.execute(query.sql, query.bound(params))
            return query.rows(await cursor.fetchall(), cursor)

    async def with_session(self, fn: Callable[[Session], T]) -> T:
        return await run_in_threadpool(_in_session, self.database, fn)


def _in_session(database: Database, fn: Callable[[Session], T]) -> T:
    with database.read() as db:
        return fn(db)


@asynccontextmanager
async def reader(state: Any, database: Database) -> AsyncIterator[Reader]:
    """A reader for this call; `state` (the app's) keeps the PostgreSQL pools."""
    if database.is_sqlite:
        with database.engine.connect() as conn:
            yield InlineReader(database, conn)
        return
    pool = await _pool(state, database)
    async with pool.connection(timeout=POOL_TIMEOUT) as conn:
        try:
            yield PgReader(database, conn)
        except psycopg.OperationalError:
            if conn.broken:
                # The server dropped its connections (a restart, a failover): test the pool's idle ones
                # now, so that this one failed call renews them all rather than each failing a call.
                _in_background(pool.check())
            raise


_TASKS: set[asyncio.Task[Any]] = set()  # running background tasks (the loop keeps only weak references)


def _in_background(work: Coroutine[Any, Any, Any]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


async def _pool(state: Any, database: Database) -> AsyncConnectionPool[Any]:
    """The pool of the running event loop (tests run several loops over one app), opened on first use."""
    pools: dict[asyncio.AbstractEventLoop, AsyncConnectionPool[Any]] | None = getattr(state, "read_pools", None)
    if pools is None:
        pools = state.read_pools = {}
    loop = asyncio.get_running_loop()
    pool = pools.get(loop)
    if pool is None:
        pool = AsyncConnectionPool(conninfo(database), min_size=1, max_size=POOL_MAX, kwargs={"autocommit": True},
                                   open=False, name="govdata-read")
        pools[loop] = pool
        await pool.open(wait=False)
    return pool


def conninfo(database: Database) -> str:
    """The PostgreSQL database's address as psycopg takes it (for connections made outside the engine)."""
    return make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)


async def close_pools(state: Any) -> None:
    """Close the pools of the running loop (at shutdown); other loops' pools are already gone with them."""
    pools: dict[asyncio.AbstractEventLoop, AsyncConnectionPool[Any]] = getattr(state, "read_pools", None) or {}
    pool = pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()
