"""Field rules and code tables: the state-changing services behind the rule and code-table pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry, EntryStatus, Field
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.policy import Action
from govdata.quality.models import CodeTable, CodeValue
from govdata.quality.reports import get_entry
from govdata.quality.rules import KnownNames, check_field_rules, dump_rules
from govdata.quality.schemas import CodeTableIn


def known_names(db: Session) -> KnownNames:
    tables = set(db.execute(select(CodeTable.code)).scalars())
    query = (select(CatalogEntry.code, Field.name).join(Field, Field.entry_id == CatalogEntry.id)
             .where(CatalogEntry.status == EntryStatus.REGISTERED.value, CatalogEntry.code.is_not(None)))
    resources: dict[str, set[str]] = {}
    for code, name in db.execute(query):
        resources.setdefault(str(code), set()).add(name)
    return KnownNames(tables, resources)


Resources = list[tuple[str, str, list[tuple[str, str]]]]


def registered_resources(db: Session) -> Resources:
    """Registered resources as pickers offer them: (code, name, [(field name, field label)]), by code."""
    query = (select(CatalogEntry.code, CatalogEntry.name, Field.name, Field.label)
             .join(Field, Field.entry_id == CatalogEntry.id)
             .where(CatalogEntry.status == EntryStatus.REGISTERED.value, CatalogEntry.code.is_not(None))
             .order_by(CatalogEntry.code, Field.position))
    out: dict[str, tuple[str, str, list[tuple[str, str]]]] = {}
    for code, name, fname, label in db.execute(query):
        out.setdefault(str(code), (str(code), name, []))[2].append((fname, label))
    return list(out.values())


def set_field_rules(db: Session, actor: Actor, *, entry_id: int,
                    rules: Mapping[str, list[dict[str, Any]]]) -> CatalogEntry:
    """Replace the rules of the named fields; all are checked before any is saved."""
    entry = get_entry(db, entry_id)
    with acting(db, actor, Action.QUALITY_RULE_MANAGE, target=entry) as audit:
        fields = {f.name: f for f in entry.fields}
        unknown = [name for name in rules if name not in fields]
        if unknown:
            raise RuleViolation(f"信息项 {unknown[0]} 不存在", field=unknown[0])
        known = known_names(db)
        checked = {name: check_field_rules(entry, fields[name], raw, known) for name, raw in rules.items()}
        before = {name: orjson.loads(fields[name].rules or "[]") for name in rules}
        for name, parsed in checked.items():
            fields[name].rules = dump_rules(parsed)
        db.flush()
        audit.details = {"before": before, "after": {n: orjson.loads(fields[n].rules) for n in rules}}
    return entry


def field_rules(entry: CatalogEntry) -> dict[str, list[dict[str, Any]]]:
    return {f.name: orjson.loads(f.rules or "[]") for f in entry.fields}


def list_code_tables(db: Session) -> list[CodeTable]:
    return list(db.execute(select(CodeTable).order_by(CodeTable.code)).scalars())


def get_code_table(db: Session, *, table_id: int) -> CodeTable:
    table = db.get(CodeTable, table_id)
    if table is None:
        raise NotFound("代码表不存在", field="table_id")
    return table


def _clean_values(values: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for value, label in values:
        value, label = value.strip(), label.strip()
        if not value or not label:
            raise RuleViolation("代码值与名称都不能为空", field="values")
        if value in seen:
            raise RuleViolation(f"代码值 {value} 重复", field="values")
        seen[value] = label
    return list(seen.items())


def save_code_table(db: Session, actor: Actor, *, data: CodeTableIn, table_id: int | None = None) -> CodeTable:
    """Create a code table, or replace an existing one's name and values."""
    table = get_code_table(db, table_id=table_id) if table_id is not None else None
    with acting(db, actor, Action.CODE_TABLE_MANAGE, target=table) as audit:
        values = _clean_values(data.values)
        clash = db.execute(select(CodeTable).where(CodeTable.code == data.code)).scalar_one_or_none()
        if clash is not None and clash is not table:
            raise Conflict(f"代码表编号 {data.code} 已存在", field="code")
        if table is None:
            table = CodeTable(code=data.code, name=data.name)
            db.add(table)
        elif table.code != data.code:
            raise RuleViolation("代码表编号保存后不能修改（规则按编号引用）", field="code")
        table.name, table.standard, table.description = data.name, data.standard, data.description
        db.flush()
        db.execute(delete(CodeValue).where(CodeValue.table_id == table.id))
        db.add_all(CodeValue(table_id=table.id, value=v, label=lbl) for v, lbl in values)
        db.flush()
        db.refresh(table)
        audit.target = table
        audit.details = {"code": table.code, "values": len(values)}
    return table


def parse_values(text: str) -> list[tuple[str, str]]:
    """Form text: one `value,label` (or tab-separated) per line."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        sep = "\t" if "\t" in line else ","
        value, _, label = line.partition(sep)
        if not label.strip():
            raise RuleViolation(f"第 {number} 行应为「代码,名称」", field="values")
        out.append((value.strip(), label.strip()))
    return out
