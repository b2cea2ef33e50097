"""Return flow (回流): pulling an entry's data back from an upper-level system.

A pull first fetches every page into a spool file (requests retried with exponential back-off), and
only then loads it as one batch through the same path as every other load, so a failure half-way
through the paging never leaves a half-loaded table and no transaction is held open over the network.
A failed run is recorded on the connector (consecutive failures, last error, next try), which the
entry page shows together with the lag since the last success.
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

import httpx
import orjson
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.service import acting, record
from govdata.catalog.models import CatalogEntry
from govdata.datastore import service
from govdata.datastore.ingest import BatchResult
from govdata.datastore.models import BatchSource, LoadMode, Paging, ReturnFlowConnector
from govdata.errors import NotFound, RuleViolation
from govdata.policy import Action
from govdata.storage.engines import Database

CYCLE_INTERVALS = {
    "realtime": timedelta(minutes=5), "daily": timedelta(days=1), "weekly": timedelta(days=7),
    "monthly": timedelta(days=30), "quarterly": timedelta(days=91), "half_yearly": timedelta(days=182),
    "yearly": timedelta(days=365), "irregular": timedelta(days=1),
}
MAX_PAGES = 100_000
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ConnectorIn(BaseModel):
    url: str = Field(min_length=8, max_length=1000, pattern=r"^https?://")
    auth_header: str = Field(default="", max_length=1000)
    data_format: str = Field(default="json", pattern="^(json|csv)$")
    paging: Paging = Paging.NONE
    page_size: int = Field(default=1000, ge=1, le=100_000)
    records_path: str = Field(default="records", max_length=64)
    cursor_path: str = Field(default="next_cursor", max_length=64)
    field_mapping: dict[str, str] = Field(default_factory=dict)
    since_param: str = Field(default="", max_length=64)
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_seconds: float = Field(default=1.0, ge=0, le=600)

    @field_validator("auth_header")
    @classmethod
    def _header(cls, value: str) -> str:
        if value and ":" not in value:
            raise ValueError("认证头应为“名称: 值”")
        return value.strip()


def get_connector(db: Session, *, entry_id: int) -> ReturnFlowConnector | None:
    return db.execute(select(ReturnFlowConnector).where(ReturnFlowConnector.entry_id == entry_id)).scalar_one_or_none()


def save_connector(db: Session, actor: Actor, *, entry: CatalogEntry, data: ConnectorIn) -> ReturnFlowConnector:
    with acting(db, actor, Action.RETURN_FLOW_MANAGE, target=entry, resource_code=entry.code) as audit:
        names = {f.name for f in entry.fields}
        wrong = [target for target in data.field_mapping.values() if target not in names]
        if wrong:
            raise RuleViolation(f"字段映射的目标 {wrong[0]} 不是该资源的信息项", field="field_mapping")
        connector = get_connector(db, entry_id=entry.id)
        if connector is None:
            connector = ReturnFlowConnector(entry_id=entry.id, unit_id=entry.unit_id)
            db.add(connector)
        values = data.model_dump()
        values["field_mapping"] = orjson.dumps(values["field_mapping"]).decode()
        values["paging"] = data.paging.value
        for name, value in values.items():
            setattr(connector, name, value)
        connector.next_run_at = clock.now()
        db.flush()
        audit.details = {k: v for k, v in data.model_dump(mode="json").items() if k != "auth_header"}
        audit.details["auth_header_set"] = bool(data.auth_header)
    return connector


@dataclass
class Pulled:
    spool: IO[bytes]
    count: int
    pages: int


class Fetcher:
    def __init__(self, connector: ReturnFlowConnector, since: datetime | None) -> None:
        self.c = connector
        self.since = since
        self.mapping: dict[str, str] = orjson.loads(connector.field_mapping or "{}")
        headers = {"Accept": "application/json" if connector.data_format == "json" else "text/csv"}
        if connector.auth_header:
            name, _, value = connector.auth_header.partition(":")
            headers[name.strip()] = value.strip()
        self.client = httpx.Client(headers=headers, timeout=TIMEOUT, follow_redirects=False)

    def _get(self, params: dict[str, Any]) -> httpx.Response:
        attempts = self.c.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                # merged, so a query already in the configured URL is kept
                response = self.client.get(httpx.URL(self.c.url).copy_merge_params(params))
                if response.status_code < 500 and response.status_code != 429:
                    response.raise_for_status()
                    return response
                problem = f"上游返回 HTTP {response.status_code}"
            except httpx.HTTPStatusError as exc:
                raise RuntimeError(f"上游拒绝请求：HTTP {exc.response.status_code}") from exc
            except httpx.HTTPError as exc:
                problem = f"连接上游失败：{type(exc).__name__}"
            if attempt == attempts:
                raise RuntimeError(f"{problem}（已重试 {attempts} 次）")
            time.sleep(self.c.backoff_seconds * 2 ** (attempt - 1))
        raise RuntimeError("unreachable")

    def _records(self, response: httpx.Response) -> tuple[list[dict[str, Any]], Any]:
        if self.c.data_format == "csv":
            return list(csv.DictReader(io.StringIO(response.text))), None
        body = response.json()
        if isinstance(body, list):
            return body, None
        if not isinstance(body, dict) or not isinstance(body.get(self.c.records_path), list):
            raise RuntimeError(f"上游返回的 JSON 中没有记录列表 {self.c.records_path}")
        return body[self.c.records_path], body.get(self.c.cursor_path)

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        params: dict[str, Any] = {}
        if self.c.since_param and self.since is not None:
            params[self.c.since_param] = self.since.isoformat(sep=" ", timespec="seconds")
        size = self.c.page_size
        paging = Paging(self.c.paging)
        for number in range(MAX_PAGES):
            if paging is Paging.PAGE:
                params.update(page=number + 1, page_size=size)
            elif paging is Paging.OFFSET:
                params.update(offset=number * size, limit=size)
            records, cursor = self._records(self._get(params))
            yield records
            if paging is Paging.NONE or not records:
                return
            if paging is Paging.CURSOR:
                if not cursor:
                    return
                params["cursor"] = cursor
            elif len(records) < size:
                return

    def pull(self) -> Pulled:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the caller)
        count = pages = 0
        try:
            for records in self.pages():
                pages += 1
                for record in records:
                    mapped = {self.mapping.get(k, k): v for k, v in record.items()} if self.mapping else record
                    spool.write(orjson.dumps(mapped, default=str) + b"\n")
                    count += 1
        except BaseException:
            spool.close()
            raise
        finally:
            self.client.close()
        spool.seek(0)
        return Pulled(spool, count, pages)


def _rows(spool: IO[bytes]) -> Iterator[Any]:
    for line in spool:
        yield orjson.loads(line)


def run_connector(database: Database, actor: Actor, *, entry_id: int) -> BatchResult | None:
    """One pull: fetch (outside any transaction), load as a batch, record the outcome on the connector."""
    with database.read() as db:
        connector = get_connector(db, entry_id=entry_id)
        if connector is None:
            raise NotFound("该资源没有回流配置", field="entry_id")
        policy.require(actor, Action.RETURN_FLOW_RUN, connector)
        since = connector.last_since
    started = clock.now()
    try:
        pulled = Fetcher(connector, since).pull()
    except (RuntimeError, httpx.HTTPError, ValueError) as exc:
        _record_failure(database, actor, entry_id, str(exc))
        return None
    try:
        with database.write() as db:
            entry = service.get_entry(db, entry_id=entry_id)
            result = service.load_rows(db, actor, entry=entry, rows=_rows(pulled.spool),
                                       source=BatchSource.RETURN_FLOW, mode=LoadMode.LOAD_VALID,
                                       file_name=f"{pulled.pages} 页 / {pulled.count} 条")
            _record_outcome(db, entry_id, result, started)
    finally:
        pulled.spool.close()
    return result


def _record_outcome(db: Session, entry_id: int, result: BatchResult, started: datetime) -> None:
    connector = get_connector(db, entry_id=entry_id)
    assert connector is not None
    now = clock.now()
    connector.last_run_at = now
    if result.status in ("loaded", "partial") or (result.status == "rejected" and result.total == 0):
        connector.last_success_at = now
        connector.last_since = started
        connector.failures = 0
        connector.last_error = "" if not result.rejected else f"{result.rejected} 行被拒绝，见批次 {result.batch_id}"
        connector.next_run_at = now + CYCLE_INTERVALS.get(connector.entry.update_cycle, timedelta(days=1))
    else:
        connector.failures += 1
        connector.last_error = result.message or result.status
        connector.next_run_at = now + _retry_delay(connector)


def _retry_delay(connector: ReturnFlowConnector) -> timedelta:
    base = max(connector.backoff_seconds, 1.0) * 60
    return timedelta(seconds=min(base * 2 ** min(connector.failures, 10), 86_400))


def _record_failure(database: Database, actor: Actor, entry_id: int, message: str) -> None:
    with database.write() as db:
        connector = get_connector(db, entry_id=entry_id)
        if connector is None:
            return
        record(db, actor, Action.RETURN_FLOW_RUN, target=connector, outcome="failed",
               details={"error": message[:500], "failures": connector.failures + 1})
        connector.failures += 1
        connector.last_run_at = clock.now()
        connector.last_error = message[:2000]
        connector.next_run_at = clock.now() + _retry_delay(connector)


def due_connectors(database: Database) -> list[int]:
    now = clock.now()
    with database.read() as db:
        query = select(ReturnFlowConnector.entry_id).where(
            ReturnFlowConnector.is_active.is_(True),
            or_(ReturnFlowConnector.next_run_at.is_(None), ReturnFlowConnector.next_run_at <= now))
        return list(db.execute(query).scalars())
