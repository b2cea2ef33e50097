"""One round trip for a repeated lookup: the caller's checks and the rows read by one statement.

A lookup reads twice: the credential, the entry and this system's grants on it (`CALLER_ENTRY_GRANTS`),
then the rows by key, whose statement depends on what the first read found (the entry's table, the
grant's fields). Systems call the same entry with the same kind of key all day, so after one call has
gone the two-read way, the next call with the same credential, entry, key field and number of keys sends
one statement: the first read with the rows joined to it, for the grant the last call used.

Nothing is taken on trust: the joined rows are used only when what the statement read about the entry
and the grant is what the plan assumed (same entry version and change time, same grant with the same
fields), and only after every check of the call has passed on what it read; otherwise they are dropped
and the call reads its rows the two-read way. The rows come from the same snapshot as the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, bindparam

from govdata import hooks
from govdata.datastore import records
from govdata.errors import GovdataError
from govdata.sharing.lookup.keys import COMBINED
from govdata.sharing.lookup.service import CALLER_ENTRY_GRANTS, LookupContext, Prefetched, typed_values
from govdata.storage.asyncread import READ_ERRORS, Reader
from govdata.storage.driversql import DriverQuery, prepare

_grant_id = CALLER_ENTRY_GRANTS.statement.selected_columns.grant_id
_PLANS_MAX = 4_000
_PLANS: dict[tuple[Any, ...], Plan] = {}


@dataclass(frozen=True)
class Plan:
    """What the last call of this kind found, and the one statement for the next."""

    shape: tuple[Any, ...]  # the entry (id, version, last change) whose table the rows were read from
    table: Table
    grant_id: int
    fields: str  # the grant's fields, as stored
    key_field: str
    to_driver: Callable[[Any], Any]  # the key column's conversion of a value for the driver
    query: DriverQuery
    width: int  # columns of CALLER_ENTRY_GRANTS at the start of each row
    versions: int  # then the emergency switches' versions (`hooks.halts_version_columns`), None: not read

    def read_params(self, token_hash: str, code: str, values: list[str]) -> dict[str, Any] | None:
        try:
            keys = typed_values(self.table, self.key_field, values)
        except GovdataError:  # a value the key's type refuses: the two-read way names it
            return None
        to_driver = self.to_driver
        params = {f"k{i}": to_driver(value) for i, value in enumerate(keys)}
        params.update(h=token_hash, code=code, planned_grant=self.grant_id)
        return params


def _key(reader: Reader, token_hash: str, code: str, key_field: str, n: int) -> tuple[Any, ...]:
    return (reader.database.url, reader.dialect.name, token_hash, code, key_field, n)


def remember(reader: Reader, token_hash: str, ctx: LookupContext) -> None:
    """After a call read its rows the two-read way: the plan for the next call of the same kind."""
    if ctx.table is None or ctx.shape is None or ctx.grant is None or ctx.key_field is None:
        return
    if COMBINED in ctx.key_field:  # a combination (one person's case) reads the two-read way
        return
    key = _key(reader, token_hash, ctx.code, ctx.key_field, len(ctx.values))
    known = _PLANS.get(key)
    if known is not None and (known.shape, known.grant_id, known.fields) == (ctx.shape, ctx.grant.id,
                                                                             ctx.grant.fields):
        return
    table, fields = ctx.table, ctx.grant.fields.split(",")
    key_column = table.c[ctx.key_field]
    # the switches' versions ride along (same snapshot as the checks): the call reads no version of its own
    versions = hooks.halts_version_columns()
    statement = (CALLER_ENTRY_GRANTS.statement
                 .add_columns(*(versions or ()), key_column.label("r_hit"),
                              *[table.c[f].label(f"r_{i}") for i, f in enumerate(fields)])
                 .outerjoin(table, and_(_grant_id == bindparam("planned_grant"),
                                        key_column.in_([bindparam(f"k{i}") for i in range(len(ctx.values))]),
                                        table.c._deleted.is_(False))))
    if len(_PLANS) >= _PLANS_MAX:
        _PLANS.clear()
    width = len(CALLER_ENTRY_GRANTS.statement.selected_columns)
    # the two-read way's own prepared lookup of this shape (cached there) gives the key's conversion
    _, to_driver = records.lookup_query(reader.dialect, table, tuple(fields), ctx.key_field, len(ctx.values))
    _PLANS[key] = Plan(ctx.shape, table, ctx.grant.id, ctx.grant.fields, ctx.key_field, to_driver,
                       prepare(statement, reader.dialect), width, -1 if versions is None else len(versions))


async def read(reader: Reader, token_hash: str, code: str,
               keys: tuple[str, list[str]] | None) -> tuple[list[Any], Prefetched | None] | None:
    """The caller's rows of CALLER_ENTRY_GRANTS and, if this kind of call has a plan, the rows it joined;
    None when there is no plan (the caller reads the two-read way). `keys`: the call's key field and values
    (`keys.parse_keys`), None when they are refused (after the caller is known, the two-read way)."""
    if keys is None:
        return None
    key_field, values = keys
    if COMBINED in key_field:
        return None
    key = _key(reader, token_hash, code, key_field, len(values))
    plan = _PLANS.get(key)
    if plan is None:
        return None
    params = plan.read_params(token_hash, code, values)
    if params is None:
        return None
    try:
        rows = await reader.run(plan.query, params)
    except READ_ERRORS:
        # The two-read way finds out what failed and audits it (e.g. the entry's table is gone); on a lost
        # connection its first read fails at once and the call gets 503 as any read would.
        _PLANS.pop(key, None)
        return None
    make, width = CALLER_ENTRY_GRANTS.for_dialect(reader.dialect).row._make, plan.width
    found, grants = [], set()
    for row in rows:  # a grant's row comes once per joined record: keep one of each
        if row.grant_id not in grants:
            grants.add(row.grant_id)
            found.append(make(row[:width]))
    names, hit = plan.fields.split(","), width + max(plan.versions, 0)
    records = [dict(zip(names, row[hit + 1:], strict=True)) for row in rows
               if row.grant_id == plan.grant_id and row[hit] is not None]
    versions = None if plan.versions < 0 or not rows else tuple(rows[0][width:hit])
    return found, Prefetched(plan.shape, plan.grant_id, plan.fields, key_field, values, records, versions)
