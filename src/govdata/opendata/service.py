"""The open catalog (第十六条): publish, republish and withdraw open datasets; find them; show one.

Who may do what is the policy's (`open.publish`, `open.withdraw` for the bureau; `open.view` for anyone while a
dataset is published); what its values look like when they leave is masking's (`data.py`). Withdrawing changes
the one status every public path asks the policy about, so it hides the dataset everywhere in the same commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import Session, defaultload, lazyload
from sqlalchemy.sql import visitors

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.catalog.labels import label_of
from govdata.catalog.models import CatalogEntry, EntryStatus, OpenType, SecurityLevel, Sensitivity
from govdata.catalog.search import matching_ids
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.opendata.models import (
    TOPIC_LABELS,
    DatasetStatus,
    OpenDataset,
    OpenRelease,
    ReleaseKind,
    slug_of,
)
from govdata.opendata.schemas import (
    FacetCount,
    OpenDatasetPublish,
    OpenDatasetSummary,
    OpenDatasetWithdraw,
    OpenSearchPage,
    OpenSearchQuery,
)
from govdata.orgs.models import Region, Unit
from govdata.policy import Action
from govdata.storage.base import row_by_id
from govdata.storage.engines import rowcount

OPENABLE = (OpenType.PUBLIC.value, OpenType.AUTHORIZED.value)
SENSITIVE = (Sensitivity.PERSONAL.value, Sensitivity.COMMERCIAL.value)
HIGH_LEVELS = (SecurityLevel.L3.value, SecurityLevel.L4.value)
FACETS = {"unit": "提供单位", "topic": "主题", "format": "资源格式", "open_type": "开放类型", "region": "区域"}


def get_dataset(db: Session, *, dataset_id: int) -> OpenDataset:
    dataset = row_by_id(db, OpenDataset, dataset_id)
    if dataset is None:
        raise NotFound("数据集不存在或已撤回", field="dataset_id")
    return dataset


def find_dataset_of(db: Session, *, entry_id: int) -> OpenDataset | None:
    return db.execute(select(OpenDataset).where(OpenDataset.entry_id == entry_id)).scalar_one_or_none()


def view_dataset(db: Session, actor: Actor, *, dataset_id: int, counted: bool = False) -> OpenDataset:
    """A dataset as anyone may see it: refused as not found once withdrawn (the public learns nothing of it).
    `counted`: one more view on its counter (the portal's dataset page and the API's metadata read)."""
    dataset = get_dataset(db, dataset_id=dataset_id)
    if not policy.can(actor, Action.OPEN_VIEW, dataset):
        raise NotFound("数据集不存在或已撤回", field="dataset_id")
    if counted:
        db.execute(update(OpenDataset).where(OpenDataset.id == dataset.id)
                   .values(view_count=OpenDataset.view_count + 1).execution_options(synchronize_session=False))
    return dataset


def manage_dataset(db: Session, actor: Actor, *, dataset_id: int) -> OpenDataset:
    """A dataset as the bureau manages it, withdrawn ones included."""
    dataset = get_dataset(db, dataset_id=dataset_id)
    policy.require(actor, Action.OPEN_PUBLISH, dataset)
    return dataset


def unmasked_sensitive(entry: CatalogEntry) -> list[str]:
    """Fields with personal or commercial data, or at L3/L4, that state no masking rule of their own (第十七条:
    such data opens only desensitised, and the rule must be chosen, not left to a default)."""
    return [f"{f.label}（{f.name}）" for f in entry.fields
            if (f.sensitivity in SENSITIVE or f.security_level in HIGH_LEVELS) and not (f.masking_rule or "").strip()]


def _check_openable(entry: CatalogEntry) -> None:
    if entry.status != EntryStatus.REGISTERED.value or not entry.code:
        raise RuleViolation("只有已登记的信息资源可以开放", field="entry_id")
    if entry.open_type not in OPENABLE:
        raise RuleViolation(f"该信息资源的开放类型为“{label_of('open_type', entry.open_type)}”，不能开放",
                            field="open_type")
    missing = unmasked_sensitive(entry)
    if missing:
        first = next(f for f in entry.fields if f"{f.label}（{f.name}）" == missing[0])
        raise RuleViolation(f"信息项 {'、'.join(missing)} 涉及个人信息、商业秘密或为 L3/L4 级，但没有指定脱敏规则，"
                            "不能开放（第十七条）；请先在目录中为其指定脱敏规则", field=first.name)


def publish_dataset(db: Session, actor: Actor, *, entry_id: int, data: OpenDatasetPublish) -> OpenDataset:
    """Publish a registered 普遍开放 or 授权开放 entry as an open dataset, or republish it (metadata and the
    entry's current version); each makes a line of the release history."""
    entry = row_by_id(db, CatalogEntry, entry_id)
    if entry is None:
        raise NotFound("信息资源不存在", field="entry_id")
    dataset = find_dataset_of(db, entry_id=entry.id)
    is_new = dataset is None
    if dataset is None:
        dataset = OpenDataset(entry=entry, entry_id=entry.id, view_count=0, download_count=0)
    with acting(db, actor, Action.OPEN_PUBLISH, target=dataset, resource_code=entry.code,
                owner_unit_id=entry.unit_id) as audit:
        _check_openable(entry)
        before = None if is_new else {"status": dataset.status, "title": dataset.title, "topic": dataset.topic,
                                      "licence": dataset.licence, "entry_version": dataset.entry_version}
        now = clock.now()
        dataset.unit_id, dataset.open_type, dataset.slug = entry.unit_id, entry.open_type, slug_of(entry.code)
        dataset.title, dataset.summary = data.title or entry.name, data.summary or entry.summary or ""
        dataset.topic, dataset.licence, dataset.terms = data.topic.value, data.licence.value, data.terms
        dataset.entry_version, dataset.status, dataset.updated_at = entry.version, DatasetStatus.PUBLISHED.value, now
        if is_new:
            dataset.published_at = now
            db.add(dataset)
        kind = ReleaseKind.PUBLISH if is_new else ReleaseKind.REPUBLISH
        db.add(OpenRelease(dataset=dataset, kind=kind.value, entry_version=entry.version, at=now, by=actor.name,
                           note=data.note))
        db.flush()
        audit.details = {"change": kind.value, "before": before,
                         "after": {"status": dataset.status, "title": dataset.title, "topic": dataset.topic,
                                   "licence": dataset.licence, "entry_version": dataset.entry_version,
                                   "open_type": dataset.open_type}, "note": data.note}
    db.refresh(dataset)
    return dataset


def withdraw_dataset(db: Session, actor: Actor, *, dataset_id: int, data: OpenDatasetWithdraw) -> OpenDataset:
    """Withdraw a dataset: from this commit on, no portal page, search, record or download shows it."""
    dataset = get_dataset(db, dataset_id=dataset_id)
    with acting(db, actor, Action.OPEN_WITHDRAW, target=dataset) as audit:
        now = clock.now()
        done = db.execute(update(OpenDataset)
                          .where(OpenDataset.id == dataset.id, OpenDataset.status == DatasetStatus.PUBLISHED.value)
                          .values(status=DatasetStatus.WITHDRAWN.value, updated_at=now)
                          .execution_options(synchronize_session=False))
        if rowcount(done) != 1:
            raise Conflict("该数据集已撤回", field="dataset_id")
        db.add(OpenRelease(dataset_id=dataset.id, kind=ReleaseKind.WITHDRAW.value,
                           entry_version=dataset.entry_version, at=now, by=actor.name, note=data.note))
        db.flush()
        audit.details = {"change": "withdraw", "before": DatasetStatus.PUBLISHED.value,
                         "after": DatasetStatus.WITHDRAWN.value, "note": data.note}
    db.refresh(dataset)
    return dataset


def openable_entries(db: Session, actor: Actor) -> list[tuple[CatalogEntry, OpenDataset | None]]:
    """Registered 普遍开放 / 授权开放 entries with their dataset if any, for the bureau's open-catalog page."""
    policy.require_role(actor, Action.OPEN_PUBLISH)
    query = (select(CatalogEntry, OpenDataset).outerjoin(OpenDataset, OpenDataset.entry_id == CatalogEntry.id)
             .where(CatalogEntry.status == EntryStatus.REGISTERED.value, CatalogEntry.open_type.in_(OPENABLE))
             .order_by(CatalogEntry.unit_id, CatalogEntry.code).limit(1000))
    return [(e, d) for e, d in db.execute(query).all()]


def _conditions(db: Session, query: OpenSearchQuery) -> dict[str, ColumnElement[bool]]:
    found: dict[str, ColumnElement[bool]] = {}
    if query.q:
        words = matching_ids(db, query.q)
        title = OpenDataset.title.contains(query.q, autoescape=True)
        found["q"] = or_(OpenDataset.entry_id.in_(words), title) if words is not None else title
    if query.unit is not None:
        found["unit"] = OpenDataset.unit_id == query.unit
    if query.topic is not None:
        found["topic"] = OpenDataset.topic == query.topic.value
    if query.format is not None:
        found["format"] = CatalogEntry.format == query.format.value
    if query.open_type is not None:
        found["open_type"] = OpenDataset.open_type == query.open_type
    if query.region is not None:
        found["region"] = Unit.region_id == query.region
    return found


def _base(actor: Actor, conditions: dict[str, ColumnElement[bool]], *, by_code: bool = False) -> Select[Any]:
    """The ids of the datasets `actor` may see under `conditions`, joined to the entry and the unit only when a
    condition (format, region) or the order (`by_code`) reads them: most searches read the dataset alone."""
    query = select(OpenDataset.id)
    if by_code or "format" in conditions:
        query = query.join(CatalogEntry, CatalogEntry.id == OpenDataset.entry_id)
    if "region" in conditions:
        query = query.join(Unit, Unit.id == OpenDataset.unit_id)
    return query.where(policy.where(actor, Action.OPEN_VIEW, OpenDataset), *conditions.values())


FACET_COLUMNS: dict[str, Any] = {"unit": OpenDataset.unit_id, "topic": OpenDataset.topic,
                                 "format": CatalogEntry.format, "open_type": OpenDataset.open_type,
                                 "region": Unit.region_id}


def _facet(db: Session, actor: Actor, name: str, conditions: dict[str, ColumnElement[bool]]) -> list[FacetCount]:
    """Counts by one facet under every other chosen condition (so that another value can still be picked)."""
    column = FACET_COLUMNS[name]
    others = {key: c for key, c in conditions.items() if key != name}
    ids = _base(actor, others).subquery()
    rows = db.execute(select(column, func.count()).select_from(OpenDataset)
                      .join(CatalogEntry, CatalogEntry.id == OpenDataset.entry_id)
                      .join(Unit, Unit.id == OpenDataset.unit_id)
                      .where(OpenDataset.id.in_(select(ids.c.id))).group_by(column)).all()
    names: dict[Any, str] = {}
    if name == "unit":
        names = {r[0]: r[1] for r in db.execute(select(Unit.id, Unit.name).where(Unit.id.in_([r[0] for r in rows])))}
    elif name == "region":
        names = {r[0]: r[1] for r in db.execute(select(Region.id, Region.name)
                                                 .where(Region.id.in_([r[0] for r in rows])))}
    counts = []
    for value, count in rows:
        if name == "topic":
            text = TOPIC_LABELS.get(value, value)
        elif name in ("format", "open_type"):
            text = label_of(name, value)
        else:
            text = names.get(value, str(value))
        counts.append(FacetCount(value=str(value), label=text, count=count))
    return sorted(counts, key=lambda f: (-f.count, f.label))


# A listing shows neither an entry's fields nor a dataset's release history: not loaded for each dataset listed
# (read on access all the same, should a caller want them).
LISTED = (lazyload(OpenDataset.releases), defaultload(OpenDataset.entry).lazyload(CatalogEntry.fields))


def find_datasets(db: Session, actor: Actor, *, query: OpenSearchQuery, offset: int, limit: int,
                  order: Sequence[Any] = ()) -> tuple[int, list[OpenDataset]]:
    """The datasets `actor` may see that match `query` (its paging aside): how many, and the slice asked for,
    in `order` (newest first by default)."""
    order = order or (OpenDataset.updated_at.desc(),)
    by_code = any(isinstance(part, Column) and part.table is CatalogEntry.__table__
                  for o in order for part in visitors.iterate(o))
    matching = _base(actor, _conditions(db, query), by_code=by_code)
    total = db.execute(select(func.count()).select_from(matching.subquery())).scalar_one()
    # The page's ids first, over the narrow join, then only those datasets with what they show: joining every
    # match to its entry, unit and region before cutting the page made a search over 10,000 datasets slow.
    ids = list(db.execute(matching.order_by(*order, OpenDataset.id.desc())
                          .offset(offset).limit(limit)).scalars())
    if not ids:
        return total, []
    loaded = {d.id: d for d in db.execute(select(OpenDataset).where(OpenDataset.id.in_(ids))
                                          .options(*LISTED)).unique().scalars()}
    return total, [loaded[i] for i in ids if i in loaded]


def facet_counts(db: Session, actor: Actor, *, query: OpenSearchQuery,
                 names: Sequence[str] = tuple(FACETS)) -> dict[str, list[FacetCount]]:
    conditions = _conditions(db, query)
    return {name: _facet(db, actor, name, conditions) for name in names}


def search_datasets(db: Session, actor: Actor, *, query: OpenSearchQuery) -> OpenSearchPage:
    """The portal's search: Chinese full text (the catalog's jieba index, and the title), facets, newest first."""
    total, found = find_datasets(db, actor, query=query, offset=(query.page - 1) * query.per_page,
                                 limit=query.per_page)
    return OpenSearchPage(total=total, page=query.page, per_page=query.per_page,
                          items=[OpenDatasetSummary.of(d) for d in found], facets=facet_counts(db, actor, query=query))


def find_visible(db: Session, actor: Actor, *, dataset_id: int) -> OpenDataset | None:
    """A dataset `actor` may see, by its number, or None (withdrawn ones are not seen)."""
    dataset = row_by_id(db, OpenDataset, dataset_id)
    return dataset if dataset is not None and policy.can(actor, Action.OPEN_VIEW, dataset) else None


def find_dataset_by_code(db: Session, actor: Actor, *, slug: str) -> OpenDataset | None:
    """A dataset `actor` may see by its resource code written as a slug (`/` as `-`, lower case)."""
    return db.execute(select(OpenDataset).where(OpenDataset.slug == slug.lower(),
                                                policy.where(actor, Action.OPEN_VIEW, OpenDataset))
                      .order_by(OpenDataset.id)).scalars().first()


def providing_units(db: Session, actor: Actor) -> list[tuple[Unit, int]]:
    """The units that provide datasets `actor` may see, each with how many (the open catalog's publishers)."""
    rows = db.execute(select(Unit, func.count(OpenDataset.id)).join(OpenDataset, OpenDataset.unit_id == Unit.id)
                      .where(policy.where(actor, Action.OPEN_VIEW, OpenDataset))
                      .group_by(Unit.id).order_by(Unit.code)).all()
    return [(unit, count) for unit, count in rows]
