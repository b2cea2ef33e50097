"""No re-collection (第九条): find entries other units already share that a draft would collect again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from govdata.catalog.models import CatalogEntry, EntryStatus, Field, ShareType
from govdata.catalog.schemas import FieldIn

MOST = 0.5  # "most of its fields": more than half of the draft's fields


@dataclass(frozen=True)
class Match:
    entry_id: int
    code: str | None
    name: str
    unit_name: str
    share_type: str
    matched: list[str]  # the draft's field names found in the shared entry
    ratio: float

    def as_dict(self) -> dict[str, object]:
        return {"entry_id": self.entry_id, "code": self.code, "name": self.name, "unit_name": self.unit_name,
                "share_type": self.share_type, "matched": self.matched, "ratio": round(self.ratio, 2)}


def _same(draft: FieldIn, shared: Field) -> bool:
    return draft.name == shared.name or draft.label == shared.label


def find_matches(db: Session, *, unit_id: int, fields: list[FieldIn], limit: int = 5) -> list[Match]:
    """Registered, shared entries of other units holding the draft's key fields (as their key or lookup
    fields) and more than half of all its fields, by machine name or Chinese label."""
    keys = [f for f in fields if f.is_key]
    if not keys:
        return []
    candidates = (
        select(Field.entry_id).join(CatalogEntry)
        .where(CatalogEntry.unit_id != unit_id, CatalogEntry.status == EntryStatus.REGISTERED.value,
               CatalogEntry.share_type != ShareType.NOT_SHARED.value,
               or_(Field.is_key.is_(True), Field.is_lookup.is_(True)),
               or_(Field.name.in_([k.name for k in keys]), Field.label.in_([k.label for k in keys])))
        .distinct().limit(200)
    )
    ids = list(db.execute(candidates).scalars())
    if not ids:
        return []
    found = []
    for entry in db.execute(select(CatalogEntry).where(CatalogEntry.id.in_(ids))).scalars():
        lookups = [f for f in entry.fields if f.is_key or f.is_lookup]
        if not all(any(_same(k, s) for s in lookups) for k in keys):
            continue
        matched = [f.name for f in fields if any(_same(f, s) for s in entry.fields)]
        ratio = len(matched) / len(fields)
        if ratio > MOST:
            found.append(Match(entry.id, entry.code, entry.name, entry.unit.name, entry.share_type, matched, ratio))
    found.sort(key=lambda m: (-m.ratio, m.entry_id))
    return found[:limit]
