"""Group commit of sharing calls: many calls' counts and audit events in one transaction.

Every answered call appends to the one audit chain, so appends are serial: each holds the chain's head
(and the grant's counter row) until its commit has reached the disk. One commit per call caps the whole
platform at a few hundred calls a second however many clients wait. Here requests check the grant and
read their rows on the event loop, then queue the call and await it; a batch of waiting calls is
counted, their audit events appended, and committed once, and only then are they resolved. On SQLite the
batch is written on the event loop (`LoopCommitter`), and the server processes take turns through the
queued-writer file lock; on PostgreSQL a committer thread per process writes it (`ThreadCommitter`).

Fail-closed is unchanged: a call is answered only after its own audit event is committed; if the commit
(or the append) fails, every call of that batch gets 503 and none is counted. A call refused by its quota
is left out of the batch (its refusal is audited, through this same committer, by the caller).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from govdata.audit import chain
from govdata.db import Database
from govdata.errors import GovdataError, TooManyRequests, Unavailable
from govdata.sharing.lookup import LookupContext, count_at_once, count_call
from govdata.sharing.writers import queued_writer

log = logging.getLogger("govdata.sharing")
MAX_BATCH = 64  # calls per commit; bounds the time the head row is held
IDLE_SECONDS = 10.0  # an idle committer thread ends (one per app; tests make many apps)
_UNAVAILABLE = "审计日志无法写入，本次调用未返回数据，请稍后重试"


@dataclass
class _Call:
    ctx: LookupContext | None  # None: a refusal's audit event only, nothing to count
    audit_row: dict[str, Any] | None  # None when the bench turned audit off
    future: asyncio.Future[None]
    error: GovdataError | None = None


class GroupCommitter(ABC):
    """One per process and database; `commit` resolves once the call is committed (or raises)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def commit(self, ctx: LookupContext, audit_row: dict[str, Any] | None) -> None:
        """Count the call and append its audit event; raises TooManyRequests or Unavailable."""
        await self._submit(_Call(ctx, audit_row, asyncio.get_running_loop().create_future()))

    async def record_refusal(self, audit_row: dict[str, Any]) -> None:
        """Append a refused call's audit event; a failure is logged and the refusal stands."""
        try:
            await self._submit(_Call(None, audit_row, asyncio.get_running_loop().create_future()))
        except GovdataError:
            log.error("could not record a refused sharing call")

    @abstractmethod
    async def _submit(self, call: _Call) -> None:
        """Queue the call for the next batch and wait for it (the two ways below)."""

    def _fail(self, batch: list[_Call]) -> None:
        """Fail closed: nothing of this batch was committed, nothing is answered."""
        log.exception("sharing group commit failed")
        for call in batch:
            if call.error is None:
                call.error = Unavailable(_UNAVAILABLE)


def _write_batch(conn: Connection, batch: list[_Call]) -> None:
    """In the caller's transaction: count every call, append the answered calls' audit events.

    Each grant's calls are counted at once, in the same round trip that takes the chain's head (which every
    batch of every process waits for): the head is held for three round trips, the last being the commit.
    A grant whose calls do not all fit its quota or rate has them counted one by one, refusing the excess."""
    by_grant: dict[int, list[_Call]] = {}
    for call in batch:
        if call.ctx is not None:
            by_grant.setdefault(call.ctx.grant.id, []).append(call)
    groups = list(by_grant.values())
    statements = [count_at_once(conn.dialect, _grant(calls), len(calls)) for calls in groups]
    head, counted = chain.lock_head(conn, [s for s in statements if s is not None])
    changed = iter(counted)
    for calls, statement in zip(groups, statements, strict=True):
        if statement is None or next(changed) != 1:
            _count_one_by_one(conn, calls)
    rows = [call.audit_row for call in batch if call.error is None and call.audit_row is not None]
    if rows:
        chain.append(conn, rows, head)


def _grant(calls: list[_Call]) -> Any:
    assert calls[0].ctx is not None
    return calls[0].ctx.grant


def _count_one_by_one(conn: Connection, calls: list[_Call]) -> None:
    for call in calls:
        try:
            assert call.ctx is not None
            count_call(conn, call.ctx)
        except TooManyRequests as refused:
            call.error = refused


class LoopCommitter(GroupCommitter):
    """SQLite: the batch is written on the event loop itself, once per loop iteration.

    A commit there takes about a millisecond and never waits for a network, while a committer thread
    would wait for the GIL after every driver call (the loop holds it while it serves requests), which
    showed as a long latency tail. Every call that reached this point during one pass of the loop is
    written together in the next."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self._pending: dict[asyncio.AbstractEventLoop, list[_Call]] = {}

    async def _submit(self, call: _Call) -> None:
        loop = call.future.get_loop()
        pending = self._pending.setdefault(loop, [])
        if not pending:
            loop.call_soon(self._flush, loop)
        pending.append(call)
        await call.future
        if call.error is not None:
            raise call.error

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._pending.pop(loop, [])
        for start in range(0, len(batch), MAX_BATCH):
            part = batch[start:start + MAX_BATCH]
            try:
                with queued_writer(self.database), self.database.write() as db:
                    _write_batch(db.connection(), part)
            except Exception:
                self._fail(part)
            for call in part:
                _set_done(call.future)


class ThreadCommitter(GroupCommitter):
    """PostgreSQL: one committer thread per process, since a commit waits for round trips and a disk
    flush that the event loop must not wait for.

    The thread keeps one connection while it runs: every batch holds the chain's head until it commits,
    so each round trip saved (a pool checkout's ping) shortens the time the other processes wait. A
    connection that fails is dropped with its batch (503) and the next batch connects afresh."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self._calls: list[_Call] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None  # used by the committer thread only

    async def _submit(self, call: _Call) -> None:
        with self._wake:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="govdata-share-commit", daemon=True)
                self._thread.start()
            self._calls.append(call)
            self._wake.notify()
        await call.future
        if call.error is not None:
            raise call.error

    def _run(self) -> None:
        try:
            self._serve()
        finally:  # an unexpected exit must not leave callers waiting on a dead thread
            self._drop_connection()
            with self._wake:
                if self._thread is threading.current_thread():  # not an idle exit (that cleared it)
                    self._thread = None
                    for call in self._calls:
                        call.error = Unavailable("数据服务暂不可用，本次调用未返回数据")
                        _resolve(call)
                    self._calls = []

    def _serve(self) -> None:
        while True:
            with self._wake:
                if not self._calls and not self._wake.wait_for(lambda: bool(self._calls), timeout=IDLE_SECONDS):
                    self._thread = None  # decided under the lock: the next call starts a new thread
                    return
                batch, self._calls = self._calls[:MAX_BATCH], self._calls[MAX_BATCH:]
            try:
                self._write(batch)
            finally:
                for call in batch:
                    _resolve(call)

    def _write(self, batch: list[_Call]) -> None:
        try:
            if self._conn is None:
                self._conn = self.database.write_engine.connect()
            with self._conn.begin():
                _write_batch(self._conn, batch)
        except Exception:
            self._fail(batch)
            self._drop_connection()  # whatever went wrong, the next batch starts on a fresh connection

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def committer_for(database: Database) -> GroupCommitter:
    return LoopCommitter(database) if database.is_sqlite else ThreadCommitter(database)


def _resolve(call: _Call) -> None:
    """Wake the waiting request on its own event loop (this runs on the committer thread)."""
    # RuntimeError: the loop has closed (server shutting down), so nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        call.future.get_loop().call_soon_threadsafe(_set_done, call.future)


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():  # a cancelled request (client gone) has nothing to wake
        future.set_result(None)
