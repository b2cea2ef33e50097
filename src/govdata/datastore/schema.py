"""Keeping an entry's tables in step with its registered catalog versions (第八条).

Additive changes (new fields, longer text, lookup flags) are applied in place. Breaking changes (a
type or key change, a shorter length, a removed field) rebuild the tables and convert every stored
value with the new field's converter; if any value would not survive unchanged, the new version is
refused with the row and field that stop it, and nothing is changed (we run inside the transaction
that registers the version). A removed field is dropped only when it holds no value at all.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from govdata import clock
from govdata.catalog.models import CatalogEntry, Field, FieldType
from govdata.datastore.convert import ConvertError, converter, parse_datetime
from govdata.datastore.models import TableSchema
from govdata.datastore.tables import build_tables, column_type, create_tables, history_name, table_exists, table_name
from govdata.datastore.writers import q
from govdata.errors import RuleViolation

SNAPSHOT_KEYS = ("name", "data_type", "length", "precision", "is_key", "is_lookup", "is_required")


def snapshot(entry: CatalogEntry) -> list[dict[str, Any]]:
    return [{k: getattr(f, k) for k in SNAPSHOT_KEYS} for f in entry.fields]


def _save(db: Session, entry: CatalogEntry, version: int, report: str) -> None:
    row = db.get(TableSchema, entry.id)
    if row is None:
        row = TableSchema(entry_id=entry.id)
        db.add(row)
    row.version = version
    row.fields_json = orjson.dumps(snapshot(entry)).decode()
    row.report = report
    row.updated_at = clock.now()
    db.flush()


def ensure_table(db: Session, entry: CatalogEntry) -> None:
    """Create the tables at first use if the registration did not (e.g. entries registered before)."""
    conn = db.connection()
    if not table_exists(conn, entry):
        create_tables(conn, entry)
        _save(db, entry, entry.version or 1, "首次加载时建表")


def _breaking(old: dict[str, Any], new: Field) -> str | None:
    if old["data_type"] != new.data_type:
        return f"{new.name} 类型由 {old['data_type']} 改为 {new.data_type}"
    if bool(old["is_key"]) != new.is_key:
        return f"{new.name} 主键标志改变"
    if (old["length"] or 0) > (new.length or 0) and new.data_type in (FieldType.CHAR, FieldType.NUMBER,
                                                                       FieldType.MONEY):
        return f"{new.name} 长度由 {old['length']} 缩短为 {new.length}"
    if (old["precision"] or 0) != (new.precision or 0):
        return f"{new.name} 精度由 {old['precision']} 改为 {new.precision}"
    return None


def migrate_table(db: Session, entry: CatalogEntry, version: int) -> str:
    """Bring the tables to the entry's current fields; returns the report (raises RuleViolation to refuse)."""
    conn = db.connection()
    stored = db.get(TableSchema, entry.id)
    if not table_exists(conn, entry) or stored is None:
        if not table_exists(conn, entry):
            create_tables(conn, entry)
        _save(db, entry, version, f"版本 {version}：建表")
        return f"版本 {version}：建表"
    old = {f["name"]: f for f in orjson.loads(stored.fields_json)}
    new = {f.name: f for f in entry.fields}
    removed = [name for name in old if name not in new]
    added = [f for f in entry.fields if f.name not in old]
    changes = [reason for f in entry.fields if f.name in old and (reason := _breaking(old[f.name], f))]
    notes: list[str] = []
    for name in removed:
        _refuse_if_holding(conn, entry, name)
        notes.append(f"删除信息项 {name}（无数据）")
    if changes or removed:
        converted = _rebuild(conn, entry, [n for n in old if n not in removed])
        notes += changes
        notes.append(f"已重建数据表并转换 {converted} 行，所有值均无损保留")
    else:
        _add_columns(conn, entry, added)
        notes += [f"新增信息项 {f.name}" for f in added]
    _sync_indexes(conn, entry)
    report = f"版本 {version}：" + ("；".join(notes) if notes else "数据表无需变更")
    _save(db, entry, version, report)
    return report


def _refuse_if_holding(conn: Connection, entry: CatalogEntry, name: str) -> None:
    for table in (table_name(entry), history_name(entry)):
        count = conn.execute(text(f"SELECT COUNT(*) FROM {q(table)} WHERE {q(name)} IS NOT NULL")).scalar_one()
        if count:
            raise RuleViolation(f"不能删除信息项 {name}：数据表中有 {count} 行含有该字段的值，删除会丢失数据。"
                                "请先清空该字段的数据或保留该信息项", field=name)


def _add_columns(conn: Connection, entry: CatalogEntry, added: list[Field]) -> None:
    for f in added:
        if f.is_key:
            raise RuleViolation(f"新增主键字段 {f.name} 需要重建数据表", field=f.name)
        col_type = column_type(f).compile(dialect=conn.dialect)
        for table in (table_name(entry), history_name(entry)):
            conn.execute(text(f"ALTER TABLE {q(table)} ADD COLUMN {q(f.name)} {col_type}"))
    if conn.dialect.name != "sqlite":  # longer VARCHARs (SQLite does not enforce lengths)
        for f in entry.fields:
            if f.data_type == FieldType.CHAR and f not in added:
                col_type = column_type(f).compile(dialect=conn.dialect)
                for table in (table_name(entry), history_name(entry)):
                    conn.execute(text(f"ALTER TABLE {q(table)} ALTER COLUMN {q(f.name)} TYPE {col_type}"))


def _sync_indexes(conn: Connection, entry: CatalogEntry) -> None:
    current, _history = build_tables(entry)
    for index in current.indexes:
        index.create(conn, checkfirst=True)


def _rebuild(conn: Connection, entry: CatalogEntry, kept: list[str]) -> int:
    """Copy both tables aside, recreate them from the new fields, convert every value back in."""
    for name in (table_name(entry), history_name(entry)):
        conn.execute(text(f"CREATE TABLE {q(name + '__old')} AS SELECT * FROM {q(name)}"))
        conn.execute(text(f"DROP TABLE {q(name)}"))
    current, history = create_tables(conn, entry)
    count = 0
    for target in (current, history):
        old_name = target.name + "__old"
        count_here = _copy_converted(conn, entry, old_name, target, kept)
        count = count_here if target is current else count
        conn.execute(text(f"DROP TABLE {q(old_name)}"))
    if entry.key_fields:
        keys = [current.c[f.name] for f in entry.key_fields]
        dup = conn.execute(select(*keys, func.count()).group_by(*keys).having(func.count() > 1).limit(1)).first()
        if dup is not None:
            raise RuleViolation(f"新主键下有重复记录（{tuple(dup)[:-1]}），拒绝此版本", field=entry.key_fields[0].name)
    return count


def _bookkeeping(name: str, value: Any) -> Any:
    """Raw bookkeeping values (SQLite hands back text and integers) in the types the table binds."""
    if name in ("_updated_at", "_changed_at"):
        return parse_datetime(value)
    if name == "_deleted":
        return bool(value)
    return value


def _copy_converted(conn: Connection, entry: CatalogEntry, old_name: str, target: Table, kept: list[str]) -> int:
    fields = {f.name: f for f in entry.fields if f.name in kept}
    convs = {name: converter(f, sqlite=False) for name, f in fields.items()}
    # Read without type processing: the copy's column types are whatever CREATE TABLE AS gave them.
    result = conn.execute(text(f"SELECT * FROM {q(old_name)}")).mappings()
    present = set(result.keys())
    extra = [c.name for c in target.columns if c.name.startswith("_") and c.name in present and c.name != "_hid"]
    rows: list[dict[str, Any]] = []
    count = 0
    for number, row in enumerate(result, start=1):
        out = {name: _bookkeeping(name, row[name]) for name in extra}
        for name, convert in convs.items():
            value = row[name]
            try:
                new_value = convert(value)
            except ConvertError as exc:
                raise RuleViolation(f"第 {number} 行的 {name} 值“{value}”无法转换为新类型（{exc}），拒绝此版本",
                                    field=name) from exc
            if value is not None and new_value is not None and str(new_value) != str(value) and \
                    not _same_number(value, new_value):
                raise RuleViolation(f"第 {number} 行的 {name} 值“{value}”转换后会变为“{new_value}”，拒绝此版本",
                                    field=name)
            out[name] = new_value
        rows.append(out)
        count += 1
        if len(rows) >= 5000:
            conn.execute(target.insert(), rows)
            rows = []
    if rows:
        conn.execute(target.insert(), rows)
    return count


def _same_number(a: Any, b: Any) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False
