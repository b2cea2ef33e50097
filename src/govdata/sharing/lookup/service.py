"""The sharing API's hot path (第十三条): one key lookup of granted fields, counted and audited.

Lean on purpose: the reads every call pays (the entry and this system's grants on it, the emergency switches'
version by its key, then the rows by key with bound parameters, so values are taken literally) run on the
driver cursor; nothing is written here. The group committer (`groupcommit`) then counts the call against the
grant's daily quota and per-minute rate (`quota`) and appends the AuditEvent, checked by the audit package
before it joins a batch (`audit.batch`); the call is answered only once that has committed (fail-closed, 503).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table, and_, bindparam, select
from sqlalchemy.orm import Session

from govdata import clock, hooks, policy
from govdata.actor import Actor
from govdata.audit import batch
from govdata.audit.batch import CheckedEvent
from govdata.audit.service import AuditDraft
from govdata.auth.bearer import SYSTEM_TOKEN
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.datastore import records
from govdata.datastore.tables import resource_table
from govdata.errors import BadRequest, Forbidden, GovdataError, NotFound, TooManyRequests
from govdata.masking import exits
from govdata.masking.exits import EntryFacts
from govdata.orgs.models import System
from govdata.policy import Action, EntryUse
from govdata.sharing.lookup import keys
from govdata.sharing.models import Grant, GrantStatus, split_names
from govdata.storage.asyncread import Reader, all_rows
from govdata.storage.driversql import Prepared

_entries: Table = CatalogEntry.__table__  # type: ignore[assignment]
_grants: Table = Grant.__table__  # type: ignore[assignment]

# Table objects describe the schema only (no data, no counters): cached per database, entry, registered
# version and last change, so that a changed entry or another database never reuses a stale shape.
_SHAPES: dict[tuple[Any, ...], EntryShape] = {}
_LOADING: dict[tuple[Any, ...], asyncio.Lock] = {}  # (event loop, table shape) -> its first load, while it runs
# The reads every call pays run on the driver cursor (`driversql`): the entry by its code with this
# system's grants on it (none: one row of NULL grant columns), then the rows by key. A call with a system
# credential reads the credential (auth's `SYSTEM_TOKEN`, checked by auth) in the same statement.
_ENTRY_COLUMNS = (_entries.c.id.label("entry_id"), _entries.c.unit_id.label("entry_unit_id"),
                  _entries.c.status.label("entry_status"), _entries.c.version.label("entry_version"),
                  _entries.c.updated_at.label("entry_updated_at"))
_GRANT_FIELDS = ("id", "fields", "key_fields", "daily_quota", "per_minute", "purpose", "approver", "valid_until",
                 "status", "clear_fields", "row_limit")
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
    owner_code: str = ""  # kept for policy's EntryUse


@dataclass(frozen=True)
class EntryShape:
    """What the lookup needs of an entry, read through the ORM once per version: its table, the fields that may
    be looked up alone (keys and lookup fields), the named combinations, and its fields' masking facts."""

    table: Table
    alone: frozenset[str]
    combinations: tuple[tuple[str, ...], ...]
    facts: EntryFacts


@dataclass(frozen=True)
class Prefetched:
    """Rows read with the checks in one statement (`onetrip`), and what that statement assumed."""

    shape: tuple[Any, ...]
    grant_id: int
    fields: str
    key_field: str
    values: list[str]
    records: list[dict[str, Any]]
    halt_versions: tuple[Any, ...] | None = None  # the switches' versions, read by the same statement

    def fits(self, ctx: LookupContext) -> bool:
        grant = ctx.grant
        return (self.shape == ctx.shape and self.grant_id == grant.id and self.fields == grant.fields
                and self.key_field == ctx.key_field and self.values == ctx.values)


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
    clear_fields: str
    row_limit: int


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


async def _find_grant(reader: Reader, actor: Actor, ctx: LookupContext, found: list[Any] | None,
                      halt_versions: tuple[Any, ...] | None = None) -> _Entry:
    if found is None:
        found = await all_rows(reader, _ENTRY_AND_GRANTS, {"code": ctx.code, "system_id": actor.system_id})
    if not found or found[0].entry_status != EntryStatus.REGISTERED:
        raise NotFound(f"目录 {ctx.code} 不存在或未登记", field="code")
    first = found[0]
    entry = _Entry(first.entry_id, first.entry_version, first.entry_updated_at)
    ctx.entry_id, ctx.owner_unit_id = first.entry_id, first.entry_unit_id
    ctx.shape = (entry.id, entry.version, entry.updated_at)
    # 第二十一条 应急处置: a switch in force stops the call before any grant or row is looked at (one keyed read)
    policy.require_flowing(actor, Action.SHARE_LOOKUP, EntryUse(entry.id, first.entry_unit_id, ctx.code, frozenset()),
                           await hooks.halts_now(reader, halt_versions))
    start = _grant_start(first)
    end = start + len(_GRANT_FIELDS)
    rows = [GrantTerms(*r[start:end]) for r in found if r.grant_id is not None]
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


_GRANT_STARTS: dict[type, int] = {}


def _grant_start(row: Any) -> int:
    """Where a row's grant columns begin (both statements select `_GRANT_COLUMNS` together, in order)."""
    kind = type(row)
    start = _GRANT_STARTS.get(kind)
    if start is None:
        start = _GRANT_STARTS[kind] = row._fields.index("grant_id")
        assert row._fields[start:start + len(_GRANT_FIELDS)] == tuple(f"grant_{n}" for n in _GRANT_FIELDS)
    return start


def _shape_key(reader: Reader, entry: _Entry) -> tuple[Any, ...]:
    return (reader.database.url, entry.id, entry.version, entry.updated_at)


async def _shape(reader: Reader, entry: _Entry) -> EntryShape:
    key = _shape_key(reader, entry)
    shape = _SHAPES.get(key)
    if shape is not None:
        return shape
    # The entry's first call (or first since a change): its fields, through the ORM once. Calls that arrive
    # meanwhile (many, after a restart under load) wait for that load instead of each running their own; each
    # would load with its own reader, so a caller that goes away takes nothing from the others.
    slot = (asyncio.get_running_loop(), *key)
    lock = _LOADING.setdefault(slot, asyncio.Lock())
    try:
        async with lock:
            shape = _SHAPES.get(key)
            if shape is None:
                shape = _SHAPES[key] = await reader.with_session(lambda db: _entry_shape(db, entry.id))
    finally:
        _LOADING.pop(slot, None)
    return shape


def _entry_shape(db: Session, entry_id: int) -> EntryShape:
    entry = db.get(CatalogEntry, entry_id)
    assert entry is not None
    return EntryShape(resource_table(entry), frozenset(f.name for f in entry.lookup_fields),
                      tuple(entry.combinations), EntryFacts.of(entry))


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
    entry = await _find_grant(reader, actor, ctx, found, None if prefetched is None else prefetched.halt_versions)
    grant = ctx.grant
    assert ctx.key_field is not None
    shape = await _shape(reader, entry)
    names = keys.check_key(ctx.key_field, granted=grant.fields.split(","), granted_keys=grant.key_fields.split(","),
                           alone=shape.alone, combinations=shape.combinations)
    fields = grant.fields.split(",")
    if prefetched is not None and prefetched.fits(ctx):
        rows = prefetched.records
    else:
        ctx.table = shape.table
        rows = await _rows(reader, shape.table, tuple(fields), names, ctx.values, grant.row_limit + 1)
    if len(rows) > grant.row_limit:
        raise keys.too_many(grant.row_limit, ctx.key_field)
    return _masked(actor, ctx, shape, fields, rows)


async def _rows(reader: Reader, table: Table, fields: tuple[str, ...], names: tuple[str, ...], values: list[str],
                limit: int) -> list[dict[str, Any]]:
    """The granted fields of the rows the key matches, at most `limit`, read by a prepared statement."""
    if len(names) == 1:
        typed = typed_values(table, names[0], values)
        query, to_driver = records.lookup_query(reader.dialect, table, fields, names[0], len(typed), limited=True)
        params: dict[str, Any] = {f"k{i}": to_driver(value) for i, value in enumerate(typed)}
    else:
        query, converters = records.combination_query(reader.dialect, table, fields, names)
        params = {f"k{i}": convert(typed_values(table, name, [value])[0])
                  for i, (name, value, convert) in enumerate(zip(names, values, converters, strict=True))}
    params["lim"] = limit
    return [dict(zip(fields, row, strict=True)) for row in await reader.run(query, params)]


def _masked(actor: Actor, ctx: LookupContext, shape: EntryShape, fields: list[str],
            rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows (of the grant's `fields`) as they leave the provider (第十七条): which fields go in clear is policy's
    answer (the fields the provider's opinion chose, recorded on the grant); the rest are masked by their rules."""
    grant = ctx.grant
    assert ctx.entry_id is not None and ctx.owner_unit_id is not None
    use = EntryUse(ctx.entry_id, ctx.owner_unit_id, ctx.code, frozenset(fields), frozenset(fields),
                   frozenset(split_names(grant.clear_fields)))
    masker = exits.masker_of(shape.facts, policy.fields_in_clear(actor, use), fields)
    return rows if masker.is_clear else [masker.mask_row(row) for row in rows]


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
