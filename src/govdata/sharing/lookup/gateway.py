"""The sharing lookup API's front door: answered straight from ASGI, before the router.

`GET /api/v1/share/{code}/records` is the platform's hottest route (other units' systems call it for
every case they handle). Routing it through FastAPI costs more than the lookup itself: matching against
every route, dependency resolution and a thread-pool hop per call. `LookupGateway` recognises the path
first and calls `answer`, which the registered route (kept for the API docs and the route × role matrix)
calls too, so there is one implementation and the checks are the same either way:

1. the caller is authorized (`authorize(..., Action.SHARE_LOOKUP)`: a live system credential whose
   system's 等保 assessment is valid, read afresh on every call);
2. the grant and the key are checked and the rows read, awaited on the event loop (`asyncread`: inline
   on SQLite, async psycopg on PostgreSQL; a thread hop per call would cost more than the reads);
3. the call's audit event is checked by the audit package (`audit.batch.check`: a value it cannot hold is
   this caller's 400), then counted against the grant's quota and appended by the group committer, and
   awaited: nothing is answered before the audit event is committed (fail-closed, 503);
4. a refused call's audit event goes through the same committer.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from govdata import metrics, policy
from govdata.actor import Actor
from govdata.auth import bearer
from govdata.auth.tokens import token_hash
from govdata.errors import GovdataError, Unavailable
from govdata.policy import Action
from govdata.sharing.lookup import onetrip
from govdata.sharing.lookup.groupcommit import DOWN, GroupCommitter, committer_for
from govdata.sharing.lookup.keys import parse_keys
from govdata.sharing.lookup.service import (
    CALLER_ENTRY_GRANTS,
    LookupContext,
    Prefetched,
    attribute,
    read_records,
    refusal_row,
    success_row,
)
from govdata.storage import asyncread
from govdata.web.deps import authorize, bearer_token, client_addr, operator_header, request_id
from govdata.web.errors import domain_error_response

log = logging.getLogger("govdata.sharing")
LOOKUP_PATH = re.compile(r"^/api/v1/share/(?P<code>.+)/records$")
_COMMITTER_LOCK = threading.Lock()


class LookupGateway:
    """ASGI middleware: lookup calls go to `answer`; everything else to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = LOOKUP_PATH.match(scope["path"])
            if match is not None:
                started = metrics.timer()
                response = await answer(Request(scope, receive), match["code"])
                await response(scope, receive, send)
                metrics.lookup_answered(scope, response.status_code, started)
                return
        await self.app(scope, receive, send)


def committer(request: Request) -> GroupCommitter:
    """The app's group committer (one per process and database), made on first use."""
    state = request.app.state
    made = getattr(state, "share_committer", None)
    if made is not None:
        return made  # type: ignore[no-any-return]
    with _COMMITTER_LOCK:
        if getattr(state, "share_committer", None) is None:
            state.share_committer = committer_for(state.database)
    return state.share_committer  # type: ignore[no-any-return]


async def close_committer(state: State) -> None:
    """At shutdown (a `hooks.ShutdownStep`): release what the group committer holds, once it has been made,
    and the running loop's kept SQLite reading connection."""
    made = getattr(state, "share_committer", None)
    if made is not None:
        await made.close()
    kept = _kept_readers(state).pop(asyncio.get_running_loop(), None)
    if kept is not None:
        kept.conn.close()


def _kept_readers(state: State) -> dict[asyncio.AbstractEventLoop, asyncread.InlineReader]:
    kept = getattr(state, "share_readers", None)
    if kept is None:
        kept = state.share_readers = {}
    return kept  # type: ignore[no-any-return]


class _KeptReader:
    """SQLite: the call's reader. One connection per event loop is kept between calls, as checking one out
    of the pool and back in cost a sixth of a lookup (profiled). It is safe to keep: the lookup reads only
    by driver statements in autocommit (each its own snapshot, so it sees every commit and holds back no
    checkpoint), and a call takes it for itself (a second call meanwhile gets a pool connection). After a
    failed read, or with a transaction left open, it is closed and the next call starts afresh.
    (A class rather than an `asynccontextmanager`: the generator's machinery cost 5 % of a lookup.)"""

    __slots__ = ("kept", "loop", "reader", "state")

    def __init__(self, state: State) -> None:
        self.state = state

    async def __aenter__(self) -> asyncread.Reader:
        database = self.state.database
        self.kept, self.loop = _kept_readers(self.state), asyncio.get_running_loop()
        kept: asyncread.InlineReader | None = self.kept.pop(self.loop, None)
        self.reader = kept or asyncread.InlineReader(database, database.engine.connect())
        return self.reader

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        conn = self.reader.conn
        if kind is None and self.loop not in self.kept and not conn.in_transaction() and not conn.invalidated \
                and not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            self.kept[self.loop] = self.reader
        else:
            conn.close()


def _reader(state: State) -> AbstractAsyncContextManager[asyncread.Reader]:
    """The call's reader: SQLite's kept one (`_KeptReader`), or a pooled async connection on PostgreSQL."""
    database = state.database
    return _KeptReader(state) if database.is_sqlite else asyncread.reader(state, database)


async def answer(request: Request, code: str) -> Response:
    """Authorize, check, read, count and audit one lookup; the JSON answer or the error shape."""
    ctx = LookupContext(code=code, key_field=None, values=[])
    state = request.app.state
    refused: GovdataError | None = None
    keys: tuple[str, list[str]] | None = None
    try:  # parsed once, for the one trip; a refusal is raised once the caller is known (and audited)
        keys = parse_keys(_query_items(request.scope), state.settings.share_max_keys)
    except GovdataError as exc:
        refused_keys = exc
    try:
        async with _reader(state) as reader:
            try:
                actor, found, prefetched, digest = await _caller(request, reader, code, keys)
            except GovdataError as exc:  # no caller to audit a lookup for (a person's Denied is noted as such)
                return domain_error_response(request, exc)
            attribute(ctx, found)
            try:
                if keys is None:
                    raise refused_keys
                ctx.key_field, ctx.values = keys
                records = await read_records(reader, actor, ctx, found, prefetched)
                if digest is not None:
                    onetrip.remember(reader, digest, ctx)
            except GovdataError as exc:
                refused = exc
    except asyncread.READ_ERRORS:
        log.exception("sharing lookup failed")
        if getattr(request.state, "actor", None) is None:
            return domain_error_response(request, Unavailable(DOWN))
        actor, refused = request.state.actor, Unavailable(DOWN)
    try:
        if refused is not None:
            raise refused
        await committer(request).commit(ctx, success_row(actor, ctx, len(records)))
    except GovdataError as exc:  # refused by a check, a value the trail cannot hold (400), the quota or rate (429),
        # or not audited (503); the refusal's event is escaped so that it always joins its batch
        await committer(request).record_refusal(refusal_row(actor, ctx, exc))
        return domain_error_response(request, exc)
    return Response(orjson.dumps({"records": records}, default=str), media_type="application/json")


def _query_items(scope: Scope) -> list[tuple[str, str]]:
    """The query's (name, value) pairs in order, read exactly as Starlette's `request.query_params` reads them
    (without building its multi-dict, which this call never asks again)."""
    return parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)


async def _caller(request: Request, reader: asyncread.Reader, code: str, keys: tuple[str, list[str]] | None
                  ) -> tuple[Actor, list[Any] | None, Prefetched | None, str | None]:
    """The system behind the bearer credential, with the same checks as `requires(Action.SHARE_LOOKUP)`,
    and (read in the same statement) the entry and this system's grants on it, and for a call like one
    before it the rows too (`onetrip`). Returns them with the credential's hash.

    Anything but a system credential (none, a person's token, a malformed header) takes the general
    check in a worker thread, which refuses it."""
    token = bearer_token(request)
    digest = None if token is None else token_hash(token)
    found, prefetched = None, None
    if digest is not None:
        planned = await onetrip.read(reader, digest, code, keys)
        if planned is not None:
            found, prefetched = planned
        else:
            found = await asyncread.all_rows(reader, CALLER_ENTRY_GRANTS, {"h": digest, "code": code})
    if not found:
        return await run_in_threadpool(authorize, request, Action.SHARE_LOOKUP), None, None, None
    rid = request.scope.get("state", {}).get("request_id") or request_id(request)  # (set by web.middleware)
    actor = bearer.system_actor_from_row(found[0], client_addr=client_addr(request), request_id=rid,
                                         operator=operator_header(request))
    request.state.auth, request.state.actor = "bearer", actor
    policy.require_role(actor, Action.SHARE_LOOKUP)
    return actor, found, prefetched, digest
