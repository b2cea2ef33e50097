"""Another writer holding the database does not stall the server (issue 16): while a connection outside the
server holds the write lock (SQLite) or the audit chain's head (PostgreSQL) for over a second, the server's
other pages keep answering at once; the lookups made meanwhile are answered only after that writer lets go,
each with its audit event; and a batch that never gets the lock fails closed."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from types import SimpleNamespace
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from govdata.audit.batch import CheckedEvent
from govdata.audit.models import AuditEvent
from govdata.errors import Unavailable
from govdata.sharing.lookup.groupcommit import LoopCommitter
from govdata.sharing.lookup.service import LookupContext
from govdata.sharing.models import Grant
from govdata.storage import asyncread
from govdata.storage.engines import Database
from tests.browser.conftest import live_server, zygote  # noqa: F401 (the fixtures)
from tests.conftest import run_async
from tests.sharing.factories import PEOPLE_ROWS
from tests.sharing.test_lookup import OP, granted  # noqa: F401 (the fixture)

HOLD_SECONDS = 2.5
LOOKUPS = 8


class Release(threading.Event):
    """Set once the lock is let go; `at`: the moment just before it was (time.monotonic)."""

    at = 0.0


@contextmanager
def held_write_lock(database: Database) -> Iterator[Release]:
    """A connection of its own holds the lock every audited write needs, in a thread, for HOLD_SECONDS; the
    block's end waits for it to let go."""
    taken, done = threading.Event(), Release()

    def hold() -> None:
        if database.is_sqlite:
            conn: Any = sqlite3.connect(str(make_url(database.url).database), isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn = psycopg.connect(asyncread.conninfo(database))
            conn.execute("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
        taken.set()
        time.sleep(HOLD_SECONDS)
        done.at = time.monotonic()
        conn.rollback()
        conn.close()
        done.set()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    try:
        yield done
    finally:
        thread.join(30)


def _lookups_ok(database: Database) -> int:
    with database.read() as db:
        return db.execute(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "share.lookup", AuditEvent.outcome == "ok")).scalar_one()


def test_a_held_write_lock_stalls_no_other_page_and_every_answer_is_audited(database, granted,  # noqa: F811
                                                                             live_server):  # noqa: F811
    code, tok, grant_id = granted
    with database.write() as db:  # room for every call of the test in the day's quota
        db.execute(update(Grant).where(Grant.id == grant_id).values(daily_quota=1000))
    url = f"{live_server.url}/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}"
    headers = {"Authorization": f"Bearer {tok}", **OP}
    # clients made beforehand (making one costs this process more than a call does), connections kept
    lookups, pages = httpx.Client(headers=headers, timeout=30), httpx.Client(timeout=30)
    assert lookups.get(url).status_code == 200  # the entry's first call is behind us
    assert pages.get(f"{live_server.url}/healthz").status_code == 200
    before = _lookups_ok(database)

    def lookup(_: int) -> tuple[int, float]:
        return lookups.get(url).status_code, time.monotonic()

    health: list[float] = []
    with closing(lookups), closing(pages), held_write_lock(database) as released, ThreadPoolExecutor(LOOKUPS) as pool:
        calls = [pool.submit(lookup, i) for i in range(LOOKUPS)]
        while not released.is_set():
            start = time.monotonic()
            assert pages.get(f"{live_server.url}/healthz").status_code == 200
            health.append(time.monotonic() - start)
            time.sleep(0.05)
        answers = [call.result(timeout=60) for call in calls]

    assert len(health) >= 5
    assert max(health) < 1.0, f"/healthz took {max(health):.2f} s while another writer held the database"
    assert [status for status, _ in answers] == [200] * LOOKUPS
    # nothing was answered while the audit events could not be committed
    assert all(at >= released.at for _, at in answers)
    assert _lookups_ok(database) == before + LOOKUPS


def test_a_batch_that_never_gets_the_lock_fails_closed(database):
    if not database.is_sqlite:
        pytest.skip("the PostgreSQL committer waits on its own connection (tests/sharing/test_committer.py)")
    grant = SimpleNamespace(id=1, daily_quota=10, per_minute=10)
    before = _lookups_ok(database)

    async def scenario() -> list[Any]:
        committer = LoopCommitter(database, give_up_after=0.3)
        event = CheckedEvent({"action": "share.lookup", "outcome": "ok"})
        started = time.monotonic()
        ticks = 0

        async def tick() -> None:  # the loop keeps running while the batch waits
            nonlocal ticks
            while time.monotonic() - started < 0.5:
                ticks += 1
                await asyncio.sleep(0.01)

        calls = [committer.commit(LookupContext(code="X", key_field="k", values=["1"], grant=grant), event)
                 for _ in range(3)]
        results = await asyncio.gather(*calls, tick(), return_exceptions=True)
        assert ticks >= 10
        assert time.monotonic() - started < HOLD_SECONDS  # given up before the lock went away
        return results[:3]

    with held_write_lock(database):
        results = run_async(scenario())
    assert all(isinstance(r, Unavailable) for r in results), results
    assert _lookups_ok(database) == before
