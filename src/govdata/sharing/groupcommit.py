"""Group commit of sharing calls on PostgreSQL: many calls' counts and audit events in one transaction.

Every answered call appends to the one audit chain, so appends are serial: each holds the chain's head
row (and the grant's counter row) until its commit has reached the disk. One fsync per call caps the
whole platform at a few hundred calls a second however many clients wait. Here each server process has
one committer thread: request threads check the grant and read their rows in parallel, then hand the
call over and wait; the committer counts every waiting call, appends all their audit events and commits
once, and only then wakes them. Fail-closed is unchanged: a call is answered only after its own audit
event is committed; if the commit (or the append) fails, every call of that batch gets 503 and none is
counted. A call refused by its quota is left out of the batch (its refusal is audited by the caller).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from govdata.audit import chain
from govdata.db import Database
from govdata.errors import GovdataError, TooManyRequests, Unavailable
from govdata.sharing.lookup import LookupContext, count_call, count_calls_at_once

log = logging.getLogger("govdata.sharing")
MAX_BATCH = 64  # calls per commit; bounds the time the head row is held
IDLE_SECONDS = 10.0  # an idle committer thread ends (one per app; tests make many apps)


@dataclass
class _Call:
    ctx: LookupContext
    audit_row: dict[str, Any] | None  # None when the bench turned audit off
    done: threading.Event = field(default_factory=threading.Event)
    error: GovdataError | None = None


class GroupCommitter:
    """One per process and database; `commit` blocks the calling thread until its call is committed."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._calls: list[_Call] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def commit(self, ctx: LookupContext, audit_row: dict[str, Any] | None) -> None:
        call = _Call(ctx, audit_row)
        with self._wake:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="govdata-share-commit", daemon=True)
                self._thread.start()
            self._calls.append(call)
            self._wake.notify()
        call.done.wait()
        if call.error is not None:
            raise call.error

    def _run(self) -> None:
        try:
            self._serve()
        finally:  # an unexpected exit must not leave callers waiting on a dead thread
            with self._wake:
                if self._thread is threading.current_thread():  # not an idle exit (that cleared it)
                    self._thread = None
                    for call in self._calls:
                        call.error = Unavailable("数据服务暂不可用，本次调用未返回数据")
                        call.done.set()
                    self._calls = []

    def _serve(self) -> None:
        while True:
            with self._wake:
                if not self._calls and not self._wake.wait_for(lambda: bool(self._calls), timeout=IDLE_SECONDS):
                    self._thread = None  # decided under the lock: the next call starts a new thread
                    return
                batch, self._calls = self._calls[:MAX_BATCH], self._calls[MAX_BATCH:]
            try:
                self._commit(batch)
            finally:
                for call in batch:
                    call.done.set()

    def _commit(self, batch: list[_Call]) -> None:
        try:
            with self.database.write() as db:
                conn = db.connection()
                by_grant: dict[int, list[_Call]] = {}
                for call in batch:
                    by_grant.setdefault(call.ctx.grant.id, []).append(call)
                for calls in by_grant.values():
                    if len(calls) > 1 and count_calls_at_once(conn, calls[0].ctx.grant, len(calls)):
                        continue
                    for call in calls:  # one by one: some may be over the quota or the rate
                        try:
                            count_call(conn, call.ctx)
                        except TooManyRequests as refused:
                            call.error = refused
                rows = [call.audit_row for call in batch if call.error is None and call.audit_row is not None]
                if rows:
                    chain.append(conn, rows)
        except Exception:  # fail closed: nothing of this batch was committed, nothing is answered
            log.exception("sharing group commit failed")
            for call in batch:
                if call.error is None:
                    call.error = Unavailable("审计日志无法写入，本次调用未返回数据，请稍后重试")
