"""Seed the demo catalog through the service functions (so audit rows exist). Safe to run again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.actor import Method, platform_actor
from govdata.catalog import demo_data, lifecycle, recollection, service
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.catalog.schemas import EntryCreate, EntryUpdate, FieldIn, FilingDecision

SHARE_CONDITION = {"conditional": "仅限政务部门履行法定职责使用，须经提供单位同意和大数据局审核",
                   "not_shared": "涉及个人隐私或依法不宜共享，暂不具备共享条件"}
NOT_SHARED_BASIS = "《中华人民共和国个人信息保护法》第三十四条"
OPEN_CONDITION = "面向经授权的高校和科研机构，仅用于公共研究，不得再转让"


def parse_field(spec: str) -> FieldIn:
    """`name:label:type[:flags]`, e.g. `sfzh:公民身份号码:C18:key personal L4 mask=id_card`."""
    name, label, kind, *rest = spec.split(":", 3)
    flags = rest[0] if rest else ""
    data: dict[str, Any] = {"name": name, "label": label, "data_type": kind[0]}
    if len(kind) > 1:
        length, _, precision = kind[1:].partition(",")
        data["length"] = int(length)
        if precision:
            data["precision"] = int(precision)
    description = ""
    if "desc=" in flags:
        flags, _, description = flags.partition("desc=")
    data["description"] = description.strip()
    for flag in flags.split():
        if flag in ("key", "lookup"):
            data[f"is_{flag}"] = True
        elif flag == "req":
            data["is_required"] = True
        elif flag in ("personal", "commercial"):
            data["sensitivity"] = flag
        elif flag.startswith("L"):
            data["security_level"] = flag
        elif flag.startswith("mask="):
            data["masking_rule"] = flag[5:]
    return FieldIn(**data)


def _entry_data(*, name: str, category: str, category_code: str, fmt: str, share_type: str, basis: str,
                open_type: str, cycle: str, mode: str, method: str, summary: str, fields: list[str]) -> dict[str, Any]:
    parsed = [parse_field(f) for f in fields]
    if share_type == "not_shared" and not basis:
        basis = NOT_SHARED_BASIS
    elif share_type == "conditional" and not basis:
        basis = demo_data.BASIS_PRIVACY
    return {
        "name": name, "summary": summary, "category": category, "category_code": category_code, "format": fmt,
        "share_type": share_type, "share_condition": SHARE_CONDITION.get(share_type, ""), "share_method": method,
        "legal_basis": basis, "open_type": open_type,
        "open_condition": OPEN_CONDITION if open_type == "authorized" else "", "update_cycle": cycle,
        "ingest_mode": mode, "security_class": "important" if any(f.security_level == "L4" for f in parsed)
        else "general", "fields": [f.model_dump() for f in parsed],
        "lookup_combinations": _combinations(parsed),
    }


def _combinations(fields: list[FieldIn]) -> list[list[str]]:
    """A person's name is no key: it is looked up together with the birth date, where the entry has both."""
    names = {f.name for f in fields}
    return [[name, "csrq"] for name in ("xm",) if name in names and "csrq" in names]


def _existing(db: Session, unit_id: int, name: str) -> CatalogEntry | None:
    query = select(CatalogEntry).where(CatalogEntry.unit_id == unit_id, CatalogEntry.name == name)
    return db.execute(query).scalars().first()


def _seed_one(db: Session, unit_id: int, data: dict[str, Any], *, status: str) -> None:
    actor = platform_actor(Method.CLI, name="演示数据")
    if _existing(db, unit_id, data["name"]) is not None:
        return
    create = EntryCreate.model_validate(data)
    if recollection.find_matches(db, unit_id=unit_id, fields=create.fields):
        create.recollection_basis = "本单位依法履行职责的源头采集数据，基础库由此汇聚（第九条、第十五条）"
    entry = service.create_entry(db, actor, data=create, unit_id=unit_id)
    if status == "draft":
        return
    lifecycle.submit_entry(db, actor, entry_id=entry.id)
    if entry.status == EntryStatus.SUBMITTED.value and status != "pending":
        filing = service.pending_filing(db, entry_id=entry.id)
        assert filing is not None
        lifecycle.decide_filing(db, actor, filing_id=filing.id,
                                decision=FilingDecision(accept=True, note="法律依据充分，予以备案"))


def _change_once(db: Session, unit_id: int, name: str, field_spec: str) -> None:
    entry = _existing(db, unit_id, name)
    if entry is None or entry.version != 1:
        return
    actor = platform_actor(Method.CLI, name="演示数据")
    data = service.draft_content(entry).model_dump()
    data["fields"].append(parse_field(field_spec).model_dump())
    data["note"] = "按业务系统升级补充信息项"
    service.update_entry(db, actor, entry_id=entry.id, data=EntryUpdate.model_validate(data))
    lifecycle.submit_entry(db, actor, entry_id=entry.id)


def seed(ctx: Any) -> None:
    units: dict[str, int] = ctx.units
    with ctx.database.write() as db:
        for name, category, code, fmt, share, basis, open_type, cycle, mode, method, summary, fields in \
                demo_data.BASE:
            _seed_one(db, units["dsjzx"], _entry_data(
                name=name, category=category, category_code=code, fmt=fmt, share_type=share, basis=basis,
                open_type=open_type, cycle=cycle, mode=mode, method=method, summary=summary, fields=fields),
                status="registered")
        for unit_code, entries in demo_data.UNITS.items():
            for name, code, fmt, share, open_type, cycle, mode, summary, fields in entries:
                category = {"1": "base", "2": "topic", "3": "department"}[code[0]]
                status = "draft" if (unit_code, name) in demo_data.DRAFTS else \
                    "pending" if (unit_code, name) in demo_data.PENDING else "registered"
                _seed_one(db, units[unit_code], _entry_data(
                    name=name, category=category, category_code=code, fmt=fmt, share_type=share, basis="",
                    open_type=open_type, cycle=cycle, mode=mode, method="interface", summary=summary,
                    fields=fields), status=status)
        for (unit_code, name), field_spec in demo_data.CHANGED.items():
            _change_once(db, units[unit_code], name, field_spec)
