"""Listing the catalog: full-text search, filters, facets, sort and pages."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.catalog import labels, search
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.catalog.schemas import EntryPage, EntrySummary, FacetCount
from govdata.orgs.models import Region, Unit
from govdata.policy import Action
from govdata.types import Id

FACETS = ["unit_id", "region_id", "category", "share_type", "open_type", "format", "update_cycle", "status"]
SORTS = {
    "updated": (CatalogEntry.updated_at.desc(), CatalogEntry.id.desc()),
    "name": (CatalogEntry.name, CatalogEntry.id),
    "code": (CatalogEntry.code, CatalogEntry.id),
    "unit": (Unit.code, CatalogEntry.id),
}


class EntryQuery(BaseModel):
    """What a catalog listing asks for; every filter is optional."""

    q: str = Field(default="", max_length=200)
    unit_id: Id | None = None
    region_id: Id | None = None
    category: str | None = None
    share_type: str | None = None
    open_type: str | None = None
    format: str | None = None
    update_cycle: str | None = None
    status: str | None = None
    sort: Literal["updated", "name", "code", "unit"] = "updated"
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=200)
    with_facets: bool = True

    def filters(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in FACETS if getattr(self, k) not in (None, "")}


def _column(name: str) -> Any:
    return Unit.region_id if name == "region_id" else getattr(CatalogEntry, name)


def _conditions(db: Session, actor: Actor, query: EntryQuery) -> list[ColumnElement[bool]]:
    # What the actor may see is the policy's (drafts are their unit's own; a vendor sees its agreements' scope).
    conditions: list[ColumnElement[bool]] = [policy.where(actor, Action.CATALOG_VIEW, CatalogEntry)]
    for name, value in query.filters().items():
        conditions.append(_column(name) == value)
    if query.q.strip():
        ids = search.matching_ids(db, query.q)
        if ids is not None:
            conditions.append(CatalogEntry.id.in_(ids))
    return conditions


def _facet_labels(db: Session, name: str, values: list[Any]) -> dict[Any, str]:
    if name == "unit_id":
        return dict(db.execute(select(Unit.id, Unit.name).where(Unit.id.in_(values))).all())
    if name == "region_id":
        return dict(db.execute(select(Region.id, Region.name).where(Region.id.in_(values))).all())
    return {v: labels.label_of(name, v) for v in values}


def _facet_rows(db: Session, where: ColumnElement[bool]) -> list[Any]:
    """The selected entries counted per combination of facet values: the facets, and (summed) the total."""
    columns = [_column(name) for name in FACETS]
    return list(db.execute(select(*columns, func.count()).select_from(CatalogEntry).join(Unit)
                           .where(where).group_by(*columns)).all())


def _facets(db: Session, rows: list[Any]) -> dict[str, list[FacetCount]]:
    """Counts per value of every facet, from the grouped rows of `_facet_rows`."""
    counters: dict[str, Counter[Any]] = {name: Counter() for name in FACETS}
    for row in rows:
        for position, name in enumerate(FACETS):
            counters[name][row[position]] += row[-1]
    found: dict[str, list[FacetCount]] = {}
    for name, counter in counters.items():
        names = _facet_labels(db, name, list(counter)) if counter else {}
        ordered = sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))
        found[name] = [FacetCount(value=str(v), label=names.get(v, str(v)), count=n) for v, n in ordered]
    return found


def list_entries(db: Session, actor: Actor, *, query: EntryQuery) -> EntryPage:
    where = and_(*_conditions(db, actor, query))
    # With facets the total is their grouped counts' sum: a broad search's matching runs twice, not three times.
    grouped = _facet_rows(db, where) if query.with_facets else None
    total = sum(row[-1] for row in grouped) if grouped is not None else db.execute(
        select(func.count()).select_from(CatalogEntry).join(Unit).where(where)).scalar_one()
    rows = db.execute(
        select(CatalogEntry.id, CatalogEntry.code, CatalogEntry.name, CatalogEntry.unit_id, Unit.name, Region.name,
               CatalogEntry.category, CatalogEntry.format, CatalogEntry.share_type, CatalogEntry.open_type,
               CatalogEntry.update_cycle, CatalogEntry.status, CatalogEntry.version, CatalogEntry.updated_at)
        .select_from(CatalogEntry).join(Unit).join(Region).where(where)
        .order_by(*SORTS[query.sort]).limit(query.per_page).offset((query.page - 1) * query.per_page)
    ).all()
    keys = list(EntrySummary.model_fields)
    items = [EntrySummary(**dict(zip(keys, row, strict=True))) for row in rows]
    return EntryPage(total=total, page=query.page, per_page=query.per_page, items=items,
                     facets=_facets(db, grouped) if grouped is not None else {})


def entry_ids(db: Session, actor: Actor, *, query: EntryQuery) -> list[int]:
    """Every id the query selects, in its order (for exports)."""
    where = and_(*_conditions(db, actor, query))
    stmt = select(CatalogEntry.id).select_from(CatalogEntry).join(Unit).where(where).order_by(*SORTS[query.sort])
    return list(db.execute(stmt).scalars())


def registered_names(db: Session) -> list[tuple[str, str]]:
    """(code, name) of every registered resource, by code: what a resource picker offers."""
    query = (select(CatalogEntry.code, CatalogEntry.name)
             .where(CatalogEntry.status == EntryStatus.REGISTERED.value, CatalogEntry.code.is_not(None))
             .order_by(CatalogEntry.code))
    return [(str(code), str(name)) for code, name in db.execute(query)]


def category_codes(db: Session) -> list[tuple[str, str]]:
    """分类代码 already in use, each with its category and one resource filed under it: the code picker's list."""
    query = (select(CatalogEntry.category_code, CatalogEntry.category, func.min(CatalogEntry.name))
             .group_by(CatalogEntry.category_code, CatalogEntry.category).order_by(CatalogEntry.category_code))
    names = dict(labels.choices(labels.BY_FIELD["category"]))
    return [(str(code), f"{names.get(kind, kind)} · 如：{example}") for code, kind, example in db.execute(query)]
