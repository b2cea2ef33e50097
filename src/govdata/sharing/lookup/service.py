"""The sharing API's hot path (第十三条): one key lookup of granted fields, counted and audited.

Lean on purpose: the reads every call pays (the entry and this system's grants on it, then the rows by
key with bound parameters, so values are taken literally) run on the driver cursor; nothing is written
here. The group committer (`groupcommit`) then counts the call against the grant's daily quota and
per-minute rate (`quota`) and appends the AuditEvent, checked by the audit package before it joins a batch
(`audit.batch`); the call is answered only once that has committed (fail-closed, 503).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table, and_, bindparam, select
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Actor
from govdata.audit import batch
from govdata.audit.batch import CheckedEvent
from govdata.audit.service import AuditDraft
from govdata.auth.bearer import SYSTEM_TOKEN
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.datastore import records
from govdata.datastore.tables import resource_table
from govdata.errors import BadRequest, Forbidden, GovdataError, NotFound, TooManyRequests
from govdata.orgs.models import System
from govdata.policy import Action
from govdata.sharing.models import Grant, GrantStatus
from govdata.storage.asyncread import Reader, all_rows
from govdata.storage.driversql import Prepared

_entries: Table = CatalogEntry.__table__  # type: ignore[assignment]
_grants: Table = Grant.__table__  # type: ignore[assignment]

# Table objects describe the schema only (no data, no counters): cached per database, entry, registered
# version and last change, so that a changed entry or another database never reuses a stale shape.
_TABLES: dict[tuple[Any, ...], Table] = {}
_LOADING: dict[tuple[Any, ...], asyncio.Lock] = {}  # (event loop, table shape) -> its first load, while it runs
# The reads every call pays run on the driver cursor (`driversql`): the entry by its code with this
# system's grants on it (none: one row of NULL grant columns), then the rows by key. A call with a system
# credential reads the credential (auth's `SYSTEM_TOKEN`, checked by auth) in the same statement.
_ENTRY_COLUMNS = (_entries.c.id.label("entry_id"), _entries.c.unit_id.label("entry_unit_id"),
                  _entries.c.status.label("entry_status"), _entries.c.version.label("entry_version"),
                  _entries.c.updated_at.label("entry_updated_at"))
_GRANT_FIELDS = ("id", "fields", "key_fields", "daily_quota", "per_minute", "purpose", "approver", "valid_until",
                 "status")
_GRANT_COLUMNS = tuple(_grants.c[name].label(f"grant_{name}") for name in _GRANT_FIELDS)
_ENTRY_AND_GRANTS = Prepared(
    select(*_ENTRY_COLUMNS, *_GRANT_COLUMNS)
    .select_from(_entries.outerjoin(_grants, and_(_grants.c.entry_id == _entries.c.id,
                                                  _grants.c.system_id == bindparam("system_id"))))
    .where(_entries.c.code == bindparam("code")))
_systems: Table = System.__table__  # type: ignore[assignment]
CALLER_ENTRY_GRANTS = Prepared(
    SYSTEM_TOKEN.statement.add_columns(*_ENTRY_COLUMNS, *_GRANT_COLUMNS)
    .outerjoin(_entries, _entries.c.code == bindparam("code"))
    .outerjoin(_grants, and_(_grants.c.entry_id == _entries.c.id, _grants.c.system_id == _systems.c.id)))
_REFUSAL_ORDER = [GrantStatus.SUSPENDED, GrantStatus.PENDING, GrantStatus.EXPIRED, GrantStatus.REVOKED]
_REFUSALS = {
    GrantStatus.SUSPENDED: "本系统对该目录的访问权限已暂停",
    GrantStatus.PENDING: "访问权限尚未开通（待双方接受协议并由大数据中心开通）",
    GrantStatus.EXPIRED: "本系统对该目录的访问权限已过期",
    GrantStatus.REVOKED: "本系统对该目录的访问权限已撤销",
}


@dataclass
class LookupContext:
    """What is known about a call so far; a refused call is audited with it."""

    code: str
    key_field: str | None
    values: list[str]
    entry_id: int | None = None
    owner_unit_id: int | None = None
    grant: Any = None  # the grant row, once found
    shape: tuple[Any, ...] | None = None  # the entry (id, version, last change), once found
    table: Table | None = None  # the entry's table, once its rows were read


@dataclass(frozen=True)
class Prefetched:
    """Rows read with the checks in one statement (`onetrip`), and what that statement assumed."""

    shape: tuple[Any, ...]
    grant_id: int
    fields: str
    key_field: str
    values: list[str]
    records: list[dict[str, Any]]

    def fits(self, ctx: LookupContext) -> bool:
        grant = ctx.grant
        return (self.shape == ctx.shape and self.grant_id == grant.id and self.fields == grant.fields
                and self.key_field == ctx.key_field and self.values == ctx.values)


def parse_keys(items: list[tuple[str, str]], max_keys: int) -> tuple[str, list[str]]:
    """`?sfzh=a&sfzh=b` or `?sfzh=a,b` (values cannot contain commas): one key field, 1..max values."""
    names = list(dict.fromkeys(name for name, _ in items))
    if not names:
        raise BadRequest("缺少查询键：请用 ?<查询字段>=<值> 指定", field="key")
    if len(names) > 1:
        raise BadRequest("一次只能按一个查询字段查询", field=names[1])
    name = names[0]
    values = [v.strip() for _, raw in items for v in raw.split(",")]
    if not values or any(v == "" for v in values):
        raise BadRequest("查询键的值不能为空", field=name)
    values = list(dict.fromkeys(values))
    if len(values) > max_keys:
        raise BadRequest(f"一次最多查询 {max_keys} 个键值", field=name)
    return name, values


@dataclass(frozen=True)
class GrantTerms:
    """What a call needs of its grant (read with the entry, see `_GRANT_COLUMNS`)."""

    id: int
    fields: str
    key_fields: str
    daily_quota: int
    per_minute: int
    purpose: str
    approver: str
    valid_until: date
    status: str


@dataclass(frozen=True)
class _Entry:
    id: int
    version: int
    updated_at: Any


def attribute(ctx: LookupContext, found: list[Any] | None) -> None:
    """Name the entry and its owner on the call as soon as they are read, so that a call refused for its
    keys or its missing operator is still on the provider's usage views and audit feed (第二十一、二十四条)."""
    if found and found[0].entry_id is not None:
        ctx.entry_id, ctx.owner_unit_id = found[0].entry_id, found[0].entry_unit_id


async def _find_grant(reader: Reader, actor: Actor, ctx: LookupContext, found: list[Any] | None) -> _Entry:
    if found is None:
        found = await all_rows(reader, _ENTRY_AND_GRANTS, {"code": ctx.code, "system_id": actor.system_id})
    if not found or found[0].entry_status != EntryStatus.REGISTERED:
        raise NotFound(f"目录 {ctx.code} 不存在或未登记", field="code")
    first = found[0]
    entry = _Entry(first.entry_id, first.entry_version, first.entry_updated_at)
    ctx.entry_id, ctx.owner_unit_id = first.entry_id, first.entry_unit_id
    ctx.shape = (entry.id, entry.version, entry.updated_at)
    rows = [GrantTerms(*(getattr(r, f"grant_{name}") for name in _GRANT_FIELDS)) for r in found
            if r.grant_id is not None]
    today = clock.today()
    live = [r for r in rows if r.status == GrantStatus.ACTIVE and r.valid_until >= today]
    if live:
        ctx.grant = live[0]
        return entry
    if not rows:
        raise Forbidden("本系统没有该目录的访问权限（请先提交共享申请）", field="Authorization")
    lapsed = [r for r in rows if r.status == GrantStatus.ACTIVE]
    if lapsed:
        ctx.grant = lapsed[0]
        raise Forbidden(_REFUSALS[GrantStatus.EXPIRED], field="Authorization")
    worst = min(rows, key=lambda r: _REFUSAL_ORDER.index(GrantStatus(r.status)))
    ctx.grant = worst
    raise Forbidden(_REFUSALS[GrantStatus(worst.status)], field="Authorization")


def _shape_key(reader: Reader, entry: _Entry) -> tuple[Any, ...]:
    return (reader.database.url, entry.id, entry.version, entry.updated_at)


async def _table(reader: Reader, entry: _Entry) -> Table:
    key = _shape_key(reader, entry)
    table = _TABLES.get(key)
    if table is not None:
        return table
    # The entry's first call (or first since a change): its fields, through the ORM once. Calls that arrive
    # meanwhile (many, after a restart under load) wait for that load instead of each running their own; each
    # would load with its own reader, so a caller that goes away takes nothing from the others.
    slot = (asyncio.get_running_loop(), *key)
    lock = _LOADING.setdefault(slot, asyncio.Lock())
    try:
        async with lock:
            table = _TABLES.get(key)
            if table is None:
                table = _TABLES[key] = await reader.with_session(lambda db: _resource_table(db, entry.id))
    finally:
        _LOADING.pop(slot, None)
    return table


def _resource_table(db: Session, entry_id: int) -> Table:
    entry = db.get(CatalogEntry, entry_id)
    assert entry is not None
    return resource_table(entry)


def typed_values(table: Table, key_field: str, values: list[str]) -> list[Any]:
    """Values compared as the column's type (a date key takes ISO dates); text keys stay literal text."""
    python_type = table.c[key_field].type.python_type
    if python_type is str:
        return values
    try:
        if python_type is date:
            return [date.fromisoformat(v) for v in values]
        return [python_type(v) for v in values]
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"查询键的值类型不正确：{exc}", field=key_field) from exc


async def read_records(reader: Reader, actor: Actor, ctx: LookupContext, found: list[Any] | None = None,
                       prefetched: Prefetched | None = None) -> list[dict[str, Any]]:
    """Check the grant and the key, read the rows by key; nothing is written (the group committer counts
    the call and appends its audit event). `found`: the rows of `CALLER_ENTRY_GRANTS`, when read;
    `prefetched`: the rows read with them (`onetrip`), used only if they are what this call would read."""
    if not actor.operator:
        raise BadRequest("缺少 X-Operator 头：请注明系统代表的经办人", field="X-Operator")
    entry = await _find_grant(reader, actor, ctx, found)
    grant = ctx.grant
    key_fields = grant.key_fields.split(",")
    assert ctx.key_field is not None
    if ctx.key_field not in key_fields:
        raise BadRequest(f"{ctx.key_field} 不是可查询的字段，可用：{'、'.join(key_fields)}", field=ctx.key_field)
    if prefetched is not None and prefetched.fits(ctx):
        return prefetched.records
    table = ctx.table = await _table(reader, entry)
    fields = grant.fields.split(",")
    keys = typed_values(table, ctx.key_field, ctx.values)
    query, to_driver = records.lookup_query(reader.dialect, table, tuple(fields), ctx.key_field, len(keys))
    params = {f"k{i}": to_driver(value) for i, value in enumerate(keys)}
    return [dict(zip(fields, row, strict=True)) for row in await reader.run(query, params)]


# The audit columns a caller fills in, by the name the caller gave them (a bad value is refused naming it).
_CALLER_FIELDS = {"operator": "X-Operator", "resource_code": "code"}


def success_row(actor: Actor, ctx: LookupContext, rows: int) -> CheckedEvent:
    """The audit event of a call to be answered; BadRequest (400) when the caller sent a value the trail cannot
    hold (a control character in X-Operator), checked before the event joins a group commit."""
    return batch.check(_draft(actor, ctx, outcome="ok", rows=rows), fields=_CALLER_FIELDS)


def _draft(actor: Actor, ctx: LookupContext, *, outcome: str, rows: int | None,
           reason: str | None = None, status: int | None = None) -> AuditDraft:
    grant = ctx.grant
    details: dict[str, Any] = {"key_field": ctx.key_field, "keys": ctx.values[:100]}
    if grant is not None:
        details["grant_id"] = grant.id
        details["fields"] = grant.fields.split(",")
    if reason:
        details["reason"], details["status"] = reason, status
    target_type = "grant" if grant is not None else "catalog_entry"  # as TargetRef.of names an entry
    return AuditDraft(actor=actor, action=Action.SHARE_LOOKUP, target_type=target_type,
                      target_id=grant.id if grant is not None else ctx.entry_id, resource_code=ctx.code,
                      owner_unit_id=ctx.owner_unit_id, purpose=grant.purpose if grant is not None else None,
                      approver=grant.approver if grant is not None else None, medium="network", outcome=outcome,
                      row_count=rows, details=details)


def refusal_row(actor: Actor, ctx: LookupContext, error: GovdataError) -> CheckedEvent:
    """The audit event of a refused call, storable whatever the caller sent (see `audit.batch.escaped`)."""
    outcome = "limited" if isinstance(error, TooManyRequests) else "error" if error.status >= 500 else "denied"
    return batch.escaped(_draft(actor, ctx, outcome=outcome, rows=0, reason=error.message, status=error.status))
