"""Catalog entries: reading, drafting and editing. Submission, filings and retirement are in `lifecycle`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.audit.service import Refused, acting
from govdata.catalog import recollection, search, versions
from govdata.catalog.models import (
    CatalogEntry,
    EntryStatus,
    EntryVersion,
    Field,
    Filing,
    FilingStatus,
    combination_text,
)
from govdata.catalog.schemas import EntryBase, EntryUpdate
from govdata.errors import BadRequest, Conflict, NotFound, RuleViolation
from govdata.orgs.service import get_unit
from govdata.policy import Action

CLASSIFIED_REASON = ("涉密数据不得在政务数据平台上登记、汇聚和共享（《龙岩市政务数据管理办法》第二十三条），"
                     "请按保密规定另行处理")


def find_entry(db: Session, *, entry_id: int) -> CatalogEntry | None:
    return db.get(CatalogEntry, entry_id)


def get_entry(db: Session, *, entry_id: int) -> CatalogEntry:
    entry = find_entry(db, entry_id=entry_id)
    if entry is None:
        raise NotFound(f"信息资源 {entry_id} 不存在", field="entry_id")
    return entry


def get_entry_by_code(db: Session, *, code: str) -> CatalogEntry:
    entry = db.execute(select(CatalogEntry).where(CatalogEntry.code == code)).scalar_one_or_none()
    if entry is None:
        raise NotFound(f"信息资源代码 {code} 不存在", field="code")
    return entry


def view_entry(db: Session, actor: Actor, *, entry_id: int | None = None, code: str | None = None) -> CatalogEntry:
    """An entry as `actor` may see it; one they may not (another unit's draft, outside a vendor's scope) is
    "not found", so that its existence does not leak either."""
    entry = get_entry_by_code(db, code=code) if code is not None else get_entry(db, entry_id=entry_id or 0)
    if not policy.can(actor, Action.CATALOG_VIEW, entry):
        raise NotFound(f"信息资源 {entry_id or code} 不存在", field="entry_id")
    return entry


def list_versions(db: Session, *, entry_id: int) -> list[EntryVersion]:
    query = select(EntryVersion).where(EntryVersion.entry_id == entry_id).order_by(EntryVersion.version.desc())
    return list(db.execute(query).scalars())


def get_version(db: Session, *, entry_id: int, version: int) -> EntryVersion:
    found = db.execute(select(EntryVersion).where(EntryVersion.entry_id == entry_id,
                                                  EntryVersion.version == version)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"版本 {version} 不存在", field="version")
    return found


def pending_filing(db: Session, *, entry_id: int) -> Filing | None:
    return db.execute(select(Filing).where(Filing.entry_id == entry_id,
                                           Filing.status == FilingStatus.PENDING.value)).scalars().first()


def _check_rules(db: Session, actor: Actor, *, unit_id: int, data: EntryBase, target: Any) -> list[dict[str, object]]:
    """Rules that need the database; returns the re-collection matches that a stated basis overrides."""
    if data.is_classified:  # refused at once, and the attempt stays on the record
        raise Refused(CLASSIFIED_REASON, field="is_classified", actor=actor, action=Action.CATALOG_DRAFT,
                      target=target)
    matches = recollection.find_matches(db, unit_id=unit_id, fields=data.fields)
    if matches and not data.recollection_basis:
        first = matches[0]
        raise RuleViolation(
            f"该资源的主键和大部分信息项与{first.unit_name}已共享的“{first.name}”（{first.code}）相同，"
            "按第九条不得重复采集：请通过共享申请获取；确需采集的，请填写重复采集的法律依据",
            field="recollection_basis", details=[m.as_dict() for m in matches])
    return [m.as_dict() for m in matches]


def apply_content(entry: CatalogEntry, data: EntryBase) -> None:
    """Write `data` onto the entry; fields are matched by name so their ids and quality rules survive."""
    for attr in versions.CONTENT_ATTRS:
        if attr not in ("related_codes", "lookup_combinations"):
            setattr(entry, attr, getattr(data, attr))
    entry.related_codes = ",".join(data.related_codes)
    entry.lookup_combinations = combination_text(data.lookup_combinations)
    entry.security_level = data.grade.value
    existing = {f.name: f for f in entry.fields}
    kept: list[Field] = []
    for position, item in enumerate(data.fields, start=1):
        field = existing.get(item.name) or Field(name=item.name)
        for attr in versions.FIELD_ATTRS:
            setattr(field, attr, getattr(item, attr))
        field.position = position
        kept.append(field)
    entry.fields = kept


def create_entry(db: Session, actor: Actor, *, data: EntryBase, unit_id: int | None = None) -> CatalogEntry:
    """A steward drafts an entry of their own unit (the platform may name any unit)."""
    unit_id = unit_id if unit_id is not None else actor.unit_id
    if unit_id is None:
        raise BadRequest("请指定提供方单位", field="unit_id")
    unit = get_unit(db, unit_id=unit_id)
    with acting(db, actor, Action.CATALOG_DRAFT, target=unit) as audit:
        matches = _check_rules(db, actor, unit_id=unit_id, data=data, target=unit)
        entry = CatalogEntry(unit_id=unit_id, status=EntryStatus.DRAFT.value, version=0,
                             created_by=actor.id if actor.kind == "user" else None)
        entry.unit = unit
        apply_content(entry, data)
        db.add(entry)
        search.index_entry(db, entry)
        audit.target = entry
        audit.details = {"name": entry.name, "fields": len(entry.fields), "share_type": entry.share_type,
                         "recollection_basis": data.recollection_basis, "recollection_matches": matches}
    return entry


def update_entry(db: Session, actor: Actor, *, entry_id: int, data: EntryUpdate) -> CatalogEntry:
    """Edit a draft in place; a registered entry keeps its version in force and holds the change until
    the unit head submits it."""
    entry = get_entry(db, entry_id=entry_id)
    with acting(db, actor, Action.CATALOG_DRAFT, target=entry) as audit:
        if entry.status in (EntryStatus.RETIRED.value, EntryStatus.SUBMITTED.value):
            raise Conflict("已撤销或正在备案审核的信息资源不能修改", field="status")
        if pending_filing(db, entry_id=entry.id) is not None:
            raise Conflict("该资源的变更正在备案审核，审核完成前不能再修改", field="status")
        matches = _check_rules(db, actor, unit_id=entry.unit_id, data=data, target=entry)
        before = versions.snapshot(entry)
        change = versions.diff(before, versions.content_of(data))
        if entry.status == EntryStatus.DRAFT.value:
            apply_content(entry, data)
            search.index_entry(db, entry)
        else:
            # An edit that changes nothing leaves nothing to submit.
            entry.pending_change = None if versions.is_empty(change) else data.model_dump_json()
        audit.details = {"diff": change, "note": data.note, "pending": entry.status != EntryStatus.DRAFT.value,
                         "recollection_basis": data.recollection_basis, "recollection_matches": matches}
    return entry


def draft_content(entry: CatalogEntry) -> EntryUpdate:
    """What the edit form starts from: the pending change if there is one, else the entry as it is."""
    if entry.pending_change:
        return EntryUpdate.model_validate_json(entry.pending_change)
    return EntryUpdate.model_validate(versions.snapshot(entry))


def version_diff(db: Session, *, entry: CatalogEntry, to_version: int | None = None,
                 from_version: int | None = None) -> dict[str, object]:
    """The difference between two registered versions; version 0 stands for "nothing yet"."""
    to_version = to_version or entry.version
    if to_version < 1:
        raise NotFound("该资源尚未登记，没有版本", field="to_version")
    from_version = to_version - 1 if from_version is None else from_version
    after = versions.loads(get_version(db, entry_id=entry.id, version=to_version).snapshot)
    before = versions.loads(get_version(db, entry_id=entry.id, version=from_version).snapshot) \
        if from_version >= 1 else versions.EMPTY
    return versions.diff(before, after)
