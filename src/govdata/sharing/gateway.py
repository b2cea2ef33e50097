"""The sharing lookup API's front door: answered straight from ASGI, before the router.

`GET /api/v1/share/{code}/records` is the platform's hottest route (other units' systems call it for
every case they handle). Routing it through FastAPI costs more than the lookup itself: matching against
every route, dependency resolution and a thread-pool hop per call. `LookupGateway` recognises the path
first and calls `answer`, which the registered route (kept for the API docs and the route × role matrix)
calls too, so there is one implementation and the checks are the same either way:

1. the caller is authorized (`authorize(..., Action.SHARE_LOOKUP)`: a live system credential whose
   system's 等保 assessment is valid, read afresh on every call);
2. the grant and the key are checked and the rows read, on one connection, on the event loop (short
   indexed reads; a thread hop would cost more than they do);
3. the call is counted against the grant's quota and its audit event appended by the group committer,
   and awaited: nothing is answered before the audit event is committed (fail-closed, 503);
4. a refused call's audit event goes through the same committer.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from govdata.actor import Actor
from govdata.db import Database
from govdata.errors import GovdataError, Unavailable
from govdata.policy import Action
from govdata.sharing.groupcommit import GroupCommitter
from govdata.sharing.lookup import LookupContext, parse_keys, read_records, refusal_row, success_row
from govdata.web.deps import authorize
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
                response = await answer(Request(scope, receive), match["code"])
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def committer(request: Request) -> GroupCommitter:
    """The app's group committer (one per process and database), made on first use."""
    state = request.app.state
    with _COMMITTER_LOCK:
        if getattr(state, "share_committer", None) is None:
            state.share_committer = GroupCommitter(state.database)
    return state.share_committer  # type: ignore[no-any-return]


async def answer(request: Request, code: str) -> Response:
    """Authorize, check, read, count and audit one lookup; the JSON answer or the error shape."""
    ctx = LookupContext(code=code, key_field=None, values=[])
    if request.app.state.database.is_sqlite:  # reads take microseconds: a thread hop would cost more
        actor, records, refused = _check_and_read(request, ctx)
    else:  # each read waits for a round trip: the event loop serves other calls meanwhile
        actor, records, refused = await run_in_threadpool(_check_and_read, request, ctx)
    if actor is None:  # not authorized: no caller to audit a lookup for (a person's Denied is noted as such)
        assert refused is not None
        return domain_error_response(request, refused)
    try:
        if refused is not None:
            raise refused
        row = success_row(actor, ctx, len(records)) if request.app.state.settings.share_audit else None
        await committer(request).commit(ctx, row)
    except GovdataError as exc:  # refused by a check, over the quota or rate (429), or not audited (503)
        await committer(request).record_refusal(refusal_row(actor, ctx, exc))
        return domain_error_response(request, exc)
    return Response(orjson.dumps({"records": records}, default=str), media_type="application/json")


def _check_and_read(request: Request, ctx: LookupContext) -> tuple[Actor | None, list[dict[str, Any]],
                                                                   GovdataError | None]:
    """The caller, then the grant, the key and the rows, on one connection; nothing is written."""
    database: Database = request.app.state.database
    with database.engine.connect() as conn:
        try:
            actor = authorize(request, Action.SHARE_LOOKUP, conn)
        except GovdataError as exc:
            return None, [], exc
        try:
            ctx.key_field, ctx.values = parse_keys(request.query_params.multi_items(),
                                                   request.app.state.settings.share_max_keys)
            return actor, read_records(conn, actor, ctx), None
        except SQLAlchemyError:
            log.exception("sharing lookup failed")
            return actor, [], Unavailable("数据服务暂不可用，本次调用未返回数据")
        except GovdataError as exc:
            return actor, [], exc
