"""The owning unit's view of its own data: look records up by key, see a record's history (第九条).

Nobody else browses a unit's rows here (sharing and opening have their own exits) but a vendor working
under a confidentiality agreement that names them (第二十九条); every lookup is audited with the field asked,
the number of rows and the stated purpose, not the values. `lookup_records` and `row_history` are the only
ways rows leave here, so masking a vendor's reads is applied in them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry, Field
from govdata.datastore import records
from govdata.datastore.convert import ConvertError, converter
from govdata.datastore.tables import table_exists, table_seen
from govdata.errors import NotFound, RuleViolation
from govdata.masking import exits
from govdata.policy import Action
from govdata.storage.driversql import Prepared
from govdata.types import with_offset

MAX_VALUES = 100


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, datetime):
            # the platform's own columns (_changed_at, _updated_at) hold naive UTC: say so; a data field's
            # time is the provider's, in no zone the platform knows
            value = with_offset(value) if name.startswith("_") else value.isoformat(sep=" ")
        elif isinstance(value, date):
            value = value.isoformat()
        out[str(name)] = value  # plain str keys (SQLAlchemy hands back str subclasses)
    return out


def _converted(entry: CatalogEntry, field_name: str, values: list[str]) -> list[Any]:
    field = next((f for f in entry.fields if f.name == field_name), None)
    if field is None or not (field.is_key or field.is_lookup):
        raise RuleViolation(f"只能按主键或检索字段查询，{field_name} 不是", field=field_name)
    if not values or len(values) > MAX_VALUES:
        raise RuleViolation(f"请给出 1 到 {MAX_VALUES} 个查询值", field=field_name)
    convert = converter(field, sqlite=False)
    try:
        return [convert(v) for v in values]
    except ConvertError as exc:
        raise RuleViolation(f"{field_name}：{exc}", field=field_name) from exc


_entries: Table = CatalogEntry.__table__  # type: ignore[assignment]
_fields: Table = Field.__table__  # type: ignore[assignment]
_FIELD_COLUMNS = ("name", "position", "data_type", "length", "precision", "is_key", "is_lookup", "is_required",
                  "sensitivity", "security_level", "masking_rule")  # the last three: how a vendor's read is masked
# The entry by its code with every field that shapes its table, its lookups and their masking: one driver-level
# read per lookup instead of loading ORM objects (which cost more than the lookup itself).
_ENTRY_WITH_FIELDS = Prepared(
    select(_entries.c.id, _entries.c.unit_id, _entries.c.status, _entries.c.version,
           *[_fields.c[n] for n in _FIELD_COLUMNS])
    .select_from(_entries.outerjoin(_fields, _fields.c.entry_id == _entries.c.id))
    .where(_entries.c.code == bindparam("code"))
    .order_by(_fields.c.position))
# Detached entries built from those rows, keyed by the rows themselves: a copy is reused only while the
# database still says exactly what it was built from. Never changed, never added to a session.
_SNAPSHOTS: dict[tuple[Any, ...], CatalogEntry] = {}
_SNAPSHOTS_MAX = 1_000


def entry_for_lookup(conn: Connection, *, code: str) -> CatalogEntry:
    """The entry and its fields as they are now, for reading records (not for changing the entry)."""
    rows = _ENTRY_WITH_FIELDS.on(conn).all(conn, {"code": code})
    if not rows:
        raise NotFound(f"资源 {code} 不存在", field="code")
    key = (code, *rows)
    entry = _SNAPSHOTS.get(key)
    if entry is None:
        first = rows[0]
        fields = [Field(**{name: getattr(r, name) for name in _FIELD_COLUMNS}) for r in rows if r.name is not None]
        entry = CatalogEntry(id=first.id, code=code, unit_id=first.unit_id, status=first.status,
                             version=first.version, fields=fields)
        if len(_SNAPSHOTS) >= _SNAPSHOTS_MAX:
            _SNAPSHOTS.clear()
        _SNAPSHOTS[key] = entry
    return entry


def lookup_records(db: Session, actor: Actor, *, entry: CatalogEntry, field: str,
                   values: list[str]) -> list[dict[str, Any]]:
    policy.require(actor, Action.RESOURCE_READ, entry)
    with acting(db, actor, Action.RESOURCE_READ, target=entry, resource_code=entry.code) as audit:
        wanted = _converted(entry, field, values)
        conn = db.connection()
        rows = [] if not table_seen(conn, entry) else records.lookup(
            conn, entry, key_field=field, values=wanted, fields=[f.name for f in entry.fields])
        audit.row_count = len(rows)
        audit.details = {"view": "lookup", "field": field, "values": len(values), "found": len(rows)}
    masker = exits.view_for(db, actor, entry)  # the owner in clear; a vendor masked (第二十九条)
    return [jsonable(exits.mask_record(masker, r)) for r in rows]


def row_history(db: Session, actor: Actor, *, entry: CatalogEntry, key: dict[str, str]) -> list[dict[str, Any]]:
    policy.require(actor, Action.RESOURCE_READ, entry)
    with acting(db, actor, Action.RESOURCE_READ, target=entry, resource_code=entry.code) as audit:
        typed: dict[str, Any] = {}
        for f in entry.key_fields:
            if f.name not in key:
                raise RuleViolation(f"缺少主键字段 {f.name}", field=f.name)
            typed[f.name] = _converted(entry, f.name, [key[f.name]])[0]
        conn = db.connection()
        rows = records.record_history(conn, entry, typed) if table_exists(conn, entry) else []
        audit.row_count = len(rows)
        audit.details = {"view": "history", "found": len(rows)}
    masker = exits.view_for(db, actor, entry)
    return [jsonable(exits.mask_record(masker, r)) for r in rows]
