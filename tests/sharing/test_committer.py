"""The PostgreSQL group committer fails closed when its database does not answer or goes away: a waiting call
gets 503 (Unavailable), never an answer, also when the server stops in the middle of a batch."""

from __future__ import annotations

import asyncio
import socket
from types import SimpleNamespace

import pytest

from govdata.audit.batch import CheckedEvent
from govdata.errors import Unavailable
from govdata.sharing.lookup.groupcommit import PgCommitter
from govdata.sharing.lookup.service import LookupContext
from tests.conftest import run_async


def _ctx() -> LookupContext:
    grant = SimpleNamespace(id=1, daily_quota=10, per_minute=10)
    return LookupContext(code="X", key_field="k", values=["1"], grant=grant)


@pytest.fixture
def silent_server():
    """A loopback address that accepts connections and never says a word (a hung database server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"host=127.0.0.1 port={listener.getsockname()[1]} user=x dbname=x connect_timeout=30"


@pytest.fixture
def refusing_address():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"host=127.0.0.1 port={port} user=x dbname=x connect_timeout=5"  # nothing listens there now


def test_a_batch_cut_off_by_shutdown_is_not_answered(database, silent_server):
    async def scenario():
        committer = PgCommitter(database, silent_server)
        call = asyncio.create_task(committer.commit(_ctx(), CheckedEvent({"action": "share.lookup"})))
        await asyncio.sleep(0.3)  # the batch is now waiting for the database
        assert not call.done()
        await committer.close()
        with pytest.raises(Unavailable):
            await call

    run_async(scenario())


def test_an_unreachable_database_fails_the_batch_closed(database, refusing_address):
    async def scenario():
        committer = PgCommitter(database, refusing_address)
        event = CheckedEvent({"action": "share.lookup"})
        results = await asyncio.gather(*[committer.commit(_ctx(), event) for _ in range(3)], return_exceptions=True)
        assert all(isinstance(r, Unavailable) for r in results), results
        await committer.close()

    run_async(scenario())
