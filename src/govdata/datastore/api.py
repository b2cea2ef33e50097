"""Aggregation API: realtime push by a unit's system, the owner's lookups, batches.

Push: `POST /api/v1/resources/{code}/records` with the system's bearer credential. The body is a JSON
array of objects, or (`Content-Type: application/x-ndjson`) one object per line, streamed. Each
object holds field values and is upserted by the entry's key; `{"_delete": true, <key fields>}`
deletes that record. `?mode=load_valid` writes the good rows and reports the others; the default
`all_or_nothing` writes nothing when any row is rejected (answer 422 with every rejected row).
An `Idempotency-Key` header applies a retried batch once: the same key with the same body returns
the first result (`replayed: true`), with another body 409.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry
from govdata.datastore import owner, service
from govdata.datastore.checking import Block, blocks, mapping_blocks, prepare_ndjson
from govdata.datastore.export import rejects_response
from govdata.datastore.ingest import CHUNK_ROWS
from govdata.datastore.models import LoadMode
from govdata.datastore.schemas import BatchRead, BatchResultRead, HistoryRead, RecordsRead
from govdata.errors import BadRequest, PayloadTooLarge
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import Db, WriteDb, authorize, get_database, requires, requires_in_route

router = APIRouter(prefix="/api/v1", tags=["datastore"])
NDJSON = "application/x-ndjson"
MAX_JSON_ARRAY = 64 * 1024 * 1024


async def _spool(request: Request) -> tuple[Any, str]:
    """The body to a temporary file (memory up to 8 MB), and its sha256 for idempotency."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (closed by the caller)
    digest = hashlib.sha256()
    async for chunk in request.stream():
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return spool, digest.hexdigest()


def _array(spool: Any) -> Any:
    size = spool.seek(0, 2)
    spool.seek(0)
    if size > MAX_JSON_ARRAY:  # an array is parsed whole; big pushes stream as NDJSON in constant memory
        limit = MAX_JSON_ARRAY // 1024 // 1024
        raise PayloadTooLarge(f"JSON 数组超过 {limit} MB，请改用 application/x-ndjson 流式推送", field="body")
    try:
        rows = orjson.loads(spool.read())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"请求体不是合法的 JSON：{exc}", field="body") from exc
    if not isinstance(rows, list):
        raise BadRequest("请求体应为 JSON 数组（或使用 application/x-ndjson 每行一个对象）", field="body")
    return lambda entry: mapping_blocks(entry, rows, CHUNK_ROWS)


def _lines(spool: Any) -> Any:
    def prepare(entry: CatalogEntry) -> Iterator[Block]:
        return blocks(prepare_ndjson(entry, iter(spool.readline, b"")), CHUNK_ROWS, len(entry.fields))

    return prepare


@router.post("/resources/{code:path}/records", response_model=BatchResultRead)
async def push_records(request: Request, code: str, db: Db, mode: LoadMode = LoadMode.ALL_OR_NOTHING,
                       idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
                       actor: Actor = requires(Action.RESOURCE_PUSH)) -> Response:
    spool, body_hash = await _spool(request)
    try:
        is_ndjson = request.headers.get("content-type", "").split(";")[0].strip() == NDJSON
        prepare = _lines(spool) if is_ndjson else _array(spool)
        result = await run_in_threadpool(service.push_records, db, actor, code=code, prepare=prepare, mode=mode,
                                         idempotency_key=idempotency_key, body_hash=body_hash)
    finally:
        spool.close()
    body = BatchResultRead.of(result).model_dump(mode="json")
    if result.status in ("rejected", "failed"):
        first = result.problems[0] if result.problems else None
        message = result.message + (f"；第 {first.line} 行 {first.field}：{first.reason}" if first else "")
        error = {"code": "rows_rejected" if result.status == "rejected" else "load_failed", "message": message,
                 "field": first.field if first else None, "details": body["rejected_rows"]}
        # A load that failed in the database was rolled back whole: the client may simply retry (503).
        return JSONResponse({"error": error, "result": body}, status_code=422 if result.status == "rejected" else 503)
    return JSONResponse(body)


@router.get("/resources/{code:path}/records", response_model=RecordsRead)
def lookup_records(request: Request, code: str,
                   _marker: None = requires_in_route(Action.RESOURCE_READ)) -> Response:
    """The owner's lookup: `?{key or lookup field}=value` (repeat the parameter for several values); a vendor's
    too, inside its confidentiality agreement, saying why in `X-Purpose` or `?purpose=` (第二十九条)."""
    # The caller is checked here, in this route's worker thread (one thread hop per call); on PostgreSQL
    # on the connection that then reads the rows and commits the audit event with them.
    database = get_database(request)
    with database.write() as db:
        actor = authorize(request, Action.RESOURCE_READ, None if database.is_sqlite else db.connection())
        entry = owner.entry_for_lookup(db.connection(), code=code)
        names = [k for k in request.query_params if k not in ("mode", "purpose")]  # purpose: why (X-Purpose too)
        if len(names) != 1:
            raise BadRequest("请按一个主键或检索字段查询，如 ?sfzh=...", field="query")
        values = request.query_params.getlist(names[0])
        records = owner.lookup_records(db, actor, entry=entry, field=names[0], values=values)
    return Response(orjson.dumps({"records": records}), media_type="application/json")


@router.get("/resources/{code:path}/history", response_model=HistoryRead)
def record_history(request: Request, code: str, db: WriteDb,
                   actor: Actor = requires(Action.RESOURCE_READ)) -> HistoryRead:
    entry = service.get_entry_by_code(db, code=code)
    key = {k: v for k, v in request.query_params.items()}
    return HistoryRead(history=owner.row_history(db, actor, entry=entry, key=key))


@router.get("/resources/{code:path}/batches", response_model=list[BatchRead])
def list_batches(code: str, db: WriteDb, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 actor: Actor = requires(Action.BATCH_VIEW)) -> list[BatchRead]:
    entry = service.get_entry_by_code(db, code=code)
    batches = service.list_batches_for(db, actor, entry=entry, limit=limit)
    return [BatchRead.model_validate(b) for b in batches]


@router.get("/batches/{batch_id}", response_model=BatchRead)
def get_batch(batch_id: Id, db: WriteDb, actor: Actor = requires(Action.BATCH_VIEW)) -> BatchRead:
    return BatchRead.model_validate(service.get_batch(db, actor, batch_id=batch_id))


@router.get("/batches/{batch_id}/rejects.csv")
def batch_rejects(request: Request, batch_id: Id, db: WriteDb,
                  actor: Actor = requires(Action.RESOURCE_READ)) -> Response:
    batch = service.get_batch(db, actor, batch_id=batch_id, action=Action.RESOURCE_READ)
    return rejects_response(request.app.state.database, batch)
