"""The values of open datasets as they leave (第十七条): the preview, pages of records, and downloads as CSV,
JSON and XLSX, streamed in batches from a server-side cursor so that any size takes the same memory.

Every value leaves through `masking.exits.view_for` under the public's view: the portal is one exit, the
same for everyone who reads it (a unit sees its own data in clear on its own pages, never here), so each
field leaves masked by its own rule. A filter or a sort on a field that does not leave in clear is refused,
so that matching cannot reveal what masking hides. Whether values leave at all is the policy's answer
(`open.download`: a published 普遍开放 dataset). Each download is audited with its medium and its rows and
counted before it streams (a named commit: the download is on the record even if the client stops reading).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
from fastapi.responses import StreamingResponse
from sqlalchemy import Select, false, func, or_, select, update
from sqlalchemy.orm import Session

from govdata import policy, ratelimit
from govdata.actor import Actor, public_actor
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry
from govdata.config import Settings
from govdata.datastore.convert import ConvertError, converter
from govdata.datastore.owner import jsonable
from govdata.datastore.tables import resource_table, table_seen
from govdata.errors import NotFound, RuleViolation
from govdata.exports import CsvRows, csv_line, xlsx_stream
from govdata.masking import exits
from govdata.masking.columns import ColumnMasker
from govdata.masking.masker import Masker
from govdata.opendata.models import OpenDataset
from govdata.opendata.schemas import RecordSearch, RecordsPage, RecordsQuery
from govdata.opendata.service import get_dataset
from govdata.policy import Action
from govdata.storage import driversql
from govdata.storage.engines import Database

BATCH = 2_000  # rows fetched, masked and written at once
CHUNK_CHARS = 2**19  # a CSV chunk is sent once it holds this much text (each chunk passes threads on its way)
PREVIEW_ROWS = 20
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
RATE_WINDOW_SECONDS = 60
TEXT_TYPES = ("C", "M")  # 字符型, 备注型: what a text query looks in


@dataclass(frozen=True)
class RecordSearchPage:
    """A page of a record search: the fields asked for (catalog fields), which of them leave masked, the
    masked records, and the bounded total."""

    fields: list[Any]
    masked: dict[str, bool]
    records: list[dict[str, Any]]
    total: int
    total_is_estimate: bool


def public_view(db: Session, entry: CatalogEntry, fields: Sequence[str] | None = None) -> Masker:
    """How the public sees `entry`'s values (all fields, or those named): every field by its rule (the policy
    gives the public nothing in clear, `policy.fields_in_clear`)."""
    return exits.view_for(db, public_actor(), entry, fields)


def reader_view(db: Session, actor: Actor, dataset: OpenDataset) -> Masker:
    """The public's view of the fields of `dataset` that leave to `actor` at all: every field of a 普遍开放
    dataset, only the authorised ones of a 授权开放 dataset (`policy.open_fields`)."""
    allowed = policy.open_fields(actor, dataset)
    names = [f.name for f in dataset.entry.fields if allowed is None or f.name in allowed]
    return public_view(db, dataset.entry, names)


def may_read_data(actor: Actor, dataset: OpenDataset) -> bool:
    """Whether the page offers the preview and downloads (the policy's answer on this dataset)."""
    return bool(policy.can(actor, Action.OPEN_DOWNLOAD, dataset))


def _visible(db: Session, actor: Actor, dataset_id: int) -> OpenDataset:
    dataset = get_dataset(db, dataset_id=dataset_id)
    if not policy.can(actor, Action.OPEN_VIEW, dataset):
        raise NotFound("数据集不存在或已撤回", field="dataset_id")
    return dataset


def _field(entry: CatalogEntry, masker: Masker, name: str, param: str, use: str) -> Any:
    field = next((f for f in entry.fields if f.name == name), None)
    if field is None or name not in masker.rules:
        raise RuleViolation(f"数据集没有信息项 {name}", field=param)
    if not masker.rules[name].is_clear:
        raise RuleViolation(f"信息项 {field.label}（{name}）已脱敏，不能用于{use}", field=name)
    return field


def records_query(entry: CatalogEntry, masker: Masker, query: RecordsQuery | None) -> Select[Any]:
    """The rows of `entry` in field order (not deleted), filtered and sorted only on fields in clear."""
    table = resource_table(entry)
    stmt = select(*[table.c[name] for name in masker.columns]).where(table.c._deleted.is_(False))
    if query is not None and query.field is not None:
        field = _field(entry, masker, query.field, "field", "筛选")
        if query.value is None:
            raise RuleViolation("请给出筛选值", field="value")
        try:
            value = converter(field, sqlite=False)(query.value)
        except ConvertError as exc:
            raise RuleViolation(f"{field.label}（{field.name}）：{exc}", field=field.name) from exc
        stmt = stmt.where(table.c[field.name] == value)
    if query is not None and query.sort:
        name = query.sort.removeprefix("-")
        _field(entry, masker, name, "sort", "排序")
        stmt = stmt.order_by(table.c[name].desc() if query.sort.startswith("-") else table.c[name].asc())
    return stmt.order_by(*[table.c[f.name] for f in entry.key_fields])


def preview(db: Session, actor: Actor, dataset: OpenDataset) -> list[tuple[Any, ...]] | None:
    """The first rows, masked, for the dataset page (None: its values do not leave to `actor`)."""
    if not may_read_data(actor, dataset):
        return None
    entry = dataset.entry
    conn = db.connection()
    if not table_seen(conn, entry):
        return []
    masker = reader_view(db, actor, dataset)
    rows = conn.execute(records_query(entry, masker, None).limit(PREVIEW_ROWS)).all()
    return [tuple(jsonable(dict(zip(masker.columns, masker.mask_tuple(r), strict=True))).values()) for r in rows]


def limit_caller(db: Session, actor: Actor, settings: Settings, *, scope: str = "open.download",
                 anonymous_limit: int | None = None) -> None:
    """Reads are limited per anonymous client address (`scope`: downloads, or CKAN API calls) and, higher, per
    public app key (one budget per key over every open-data API); 429 with Retry-After past the limit."""
    if actor.kind == "public":
        ratelimit.hit(db, f"{scope}:{actor.client_addr or '-'}",
                      limit=anonymous_limit or settings.open_downloads_per_minute, window_seconds=RATE_WINDOW_SECONDS)
    elif actor.app_key is not None:
        ratelimit.hit(db, f"open.key:{actor.app_key}", limit=settings.open_key_calls_per_minute,
                      window_seconds=RATE_WINDOW_SECONDS)


def read_records(db: Session, actor: Actor, settings: Settings, *, dataset_id: int,
                 query: RecordsQuery) -> RecordsPage:
    """A page of records (the API), masked; audited like a download, with medium `api`."""
    dataset = _visible(db, actor, dataset_id)
    entry = dataset.entry
    with acting(db, actor, Action.OPEN_DOWNLOAD, target=dataset, medium="api") as audit:
        masker = reader_view(db, actor, dataset)
        stmt = records_query(entry, masker, query).offset(query.offset).limit(query.limit)
        limit_caller(db, actor, settings)
        conn = db.connection()
        rows = conn.execute(stmt).all() if table_seen(conn, entry) else []
        audit.row_count = len(rows)
        audit.details = {"view": "records", "offset": query.offset, "limit": query.limit, "field": query.field,
                         "sort": query.sort}
    records = [jsonable(dict(zip(masker.columns, masker.mask_tuple(r), strict=True))) for r in rows]
    return RecordsPage(fields=list(masker.columns), records=records, offset=query.offset, limit=query.limit)


def _search_conditions(entry: CatalogEntry, masker: Masker, query: RecordSearch) -> list[Any]:
    table = resource_table(entry)
    conditions: list[Any] = [table.c._deleted.is_(False)]
    for name, values in query.filters.items():
        field = _field(entry, masker, name, "filters", "筛选")
        convert = converter(field, sqlite=False)
        try:
            conditions.append(table.c[name].in_([convert(v) for v in values]))
        except ConvertError as exc:
            raise RuleViolation(f"{field.label}（{field.name}）：{exc}", field=field.name) from exc
    if query.q:  # plain text, matched inside the values of text fields that leave in clear (never as syntax)
        texts = [table.c[f.name] for f in entry.fields
                 if f.name in masker.rules and masker.rules[f.name].is_clear and f.data_type in TEXT_TYPES]
        conditions.append(or_(*(c.contains(query.q, autoescape=True) for c in texts)) if texts else false())
    return conditions


def search_records(db: Session, actor: Actor, *, dataset_id: int, query: RecordSearch) -> RecordSearchPage:
    """Records found by equality filters, a text query and sorts, all only on fields that leave in clear; each
    value masked; audited like a download (medium `api`). `total` is counted up to `query.count_cap` rows (the
    call never counts a whole table): past it, `total_is_estimate` says it is only a lower bound."""
    dataset = _visible(db, actor, dataset_id)
    entry = dataset.entry
    with acting(db, actor, Action.OPEN_DOWNLOAD, target=dataset, medium="api") as audit:
        masker = reader_view(db, actor, dataset)
        known = set(masker.columns)
        wanted = [n for n in (query.fields or list(masker.columns))]
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise RuleViolation(f"数据集没有信息项 {'、'.join(unknown)}", field="fields")
        table = resource_table(entry)
        conditions = _search_conditions(entry, masker, query)
        order: list[Any] = []
        for name, descending in query.sort:
            _field(entry, masker, name, "sort", "排序")
            order.append(table.c[name].desc() if descending else table.c[name].asc())
        order += [table.c[f.name] for f in entry.key_fields]
        conn = db.connection()
        rows: Sequence[Any] = []
        total, estimated = 0, False
        if table_seen(conn, entry):
            if query.limit:
                rows = conn.execute(select(*[table.c[name] for name in masker.columns]).where(*conditions)
                                    .order_by(*order).offset(query.offset).limit(query.limit)).all()
            if query.include_total and query.limit and len(rows) < query.limit and (rows or not query.offset):
                total = query.offset + len(rows)  # the last page: every match is in hand, nothing to count
            elif query.include_total:
                bounded = select(table.c._deleted).where(*conditions).limit(query.count_cap + 1).subquery()
                total = int(conn.execute(select(func.count()).select_from(bounded)).scalar_one())
                estimated = total > query.count_cap
                total = min(total, query.count_cap)
        audit.row_count = len(rows)
        audit.details = {"view": "datastore_search", "offset": query.offset, "limit": query.limit,
                         "filters": sorted(query.filters), "q": bool(query.q), "sort": [n for n, _ in query.sort]}
    records = []
    for row in rows:
        masked = jsonable(dict(zip(masker.columns, masker.mask_tuple(row), strict=True)))
        records.append({name: masked[name] for name in wanted})
    fields = [f for name in wanted for f in entry.fields if f.name == name]
    return RecordSearchPage(fields=fields, masked={f.name: not masker.rules[f.name].is_clear for f in fields},
                            records=records, total=total, total_is_estimate=estimated)


@dataclass(frozen=True)
class Download:
    """A download recorded and ready to stream: what to read and how each value leaves."""

    dataset_id: int
    title: str
    medium: str
    names: tuple[str, ...]
    labels: tuple[str, ...]
    masker: Masker
    statement: Select[Any] | None  # None: the resource has no table yet (no rows)
    rows: int


def start_download(db: Session, actor: Actor, settings: Settings, *, dataset_id: int, medium: str) -> Download:
    """Check, count and record a download (its rows as they are now) before anything streams."""
    dataset = _visible(db, actor, dataset_id)
    entry = dataset.entry
    with acting(db, actor, Action.OPEN_DOWNLOAD, target=dataset, medium=medium) as audit:
        limit_caller(db, actor, settings)
        masker = reader_view(db, actor, dataset)
        conn = db.connection()
        # A whole-table download streams in the order the table holds its rows: sorting a million rows by key
        # first cost about half the download's speed on PostgreSQL, and a file has no use for that order.
        statement = records_query(entry, masker, None).order_by(None) if table_seen(conn, entry) else None
        rows = 0 if statement is None else int(conn.execute(
            select(func.count()).select_from(statement.subquery())).scalar_one())
        db.execute(update(OpenDataset).where(OpenDataset.id == dataset.id)
                   .values(download_count=OpenDataset.download_count + 1)
                   .execution_options(synchronize_session=False))
        audit.row_count = rows
        audit.details = {"view": "download", "format": medium, "rows": rows, "masking": masker.describe()}
    labels = {f.name: f.label for f in entry.fields}
    return Download(dataset.id, dataset.title, medium, tuple(masker.columns),
                    tuple(labels[name] for name in masker.columns), masker, statement, rows)


def _flat(database: Database, download: Download) -> Iterator[list[Any]]:
    """The rows in batches of BATCH, each batch one list of its values row after row, masked column by column:
    read on the driver's cursor (server-side on PostgreSQL, a stepping statement on SQLite) in its own connection
    (the request's unit of work has committed). (Reading the next batch ahead in a thread of its own was measured
    slower on both databases: the two threads contend for the interpreter.)"""
    if download.statement is None:
        return
    masker = ColumnMasker(download.masker)
    with database.engine.connect() as conn:
        for values in driversql.stream_flat(conn, download.statement, BATCH):
            yield masker.mask_flat(values)


def _batches(database: Database, download: Download) -> Iterator[Sequence[Any]]:
    """The same batches as rows (tuples in field order)."""
    width = len(download.names)
    for values in _flat(database, download):
        yield list(zip(*[iter(values)] * width, strict=True))


def _csv(database: Database, download: Download) -> Iterator[bytes]:
    """The header, then the rows' text gathered into chunks of about CHUNK_CHARS, each encoded once: a batch's
    text is made at once by `CsvRows` (no buffer between)."""
    yield codecs.BOM_UTF8 + csv_line(download.labels).encode()
    rows_text = CsvRows(len(download.names))
    texts: list[str] = []
    size = 0
    for values in _flat(database, download):
        text = rows_text(values)
        texts.append(text)
        size += len(text)
        if size >= CHUNK_CHARS:
            yield "".join(texts).encode()
            texts.clear()
            size = 0
    if texts:
        yield "".join(texts).encode()


def _json(database: Database, download: Download) -> Iterator[bytes]:
    names = download.names
    head = {"dataset_id": download.dataset_id, "title": download.title, "fields": list(names)}
    yield orjson.dumps(head)[:-1] + b',"records":['
    first = True
    for batch in _batches(database, download):
        chunk = b",".join(orjson.dumps(jsonable(dict(zip(names, row, strict=True)))) for row in batch)
        yield chunk if first else b"," + chunk
        first = False
    yield b"]}"


def _xlsx(database: Database, download: Download) -> Iterator[bytes]:
    def batches() -> Iterator[list[list[Any]]]:
        for batch in _batches(database, download):
            yield [[_cell(v) for v in row] for row in batch]

    yield from xlsx_stream(download.labels, batches(), sheet=download.title[:31] or "数据")


def _cell(value: Any) -> Any:
    """A value as an XLSX cell: numbers stay numbers, dates and decimals are written as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


WRITERS = {"csv": _csv, "json": _json, "xlsx": _xlsx}


def download_response(database: Database, download: Download) -> StreamingResponse:
    """The streamed file, named after the dataset (RFC 5987 for the Chinese name)."""
    body = WRITERS[download.medium](database, download)
    name = quote(f"{download.title}.{download.medium}")
    return StreamingResponse(body, media_type=MEDIA[download.medium], headers={
        "Content-Disposition": f"attachment; filename=\"dataset-{download.dataset_id}.{download.medium}\"; "
                               f"filename*=UTF-8''{name}", "X-Row-Count": str(download.rows)})
