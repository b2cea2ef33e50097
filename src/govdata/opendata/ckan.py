"""The CKAN Action API subset over the open catalog (第十七条), so that CKAN clients (`ckanapi`, harvesters)
read the portal: package_search, package_show, package_list, organization_list, organization_show,
resource_show, datastore_search, status_show.

CKAN's words map onto ours: a package is an open dataset (its `name` is the resource code as a slug,
`2010301/000012` → `2010301-000012`), an organization is the providing unit (named by its unit code), a
resource is the dataset's table (`<name>-data`, searchable with datastore_search when its values are open)
plus the CSV, JSON and XLSX downloads (`<name>-csv` …). Who sees what is the policy's (`open.view`,
`open.download`): only published datasets, and values only of 普遍开放 ones, masked on the way out by
`data.search_records`. Parameters come as CKAN sends them (GET strings, POST JSON); each bad one is a
`RuleViolation` naming it, which the API answers as CKAN's Validation Error. No HTTP here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata.actor import Actor
from govdata.catalog.labels import label_of
from govdata.catalog.models import CatalogEntry
from govdata.config import Settings
from govdata.errors import BadRequest, NotFound, RuleViolation
from govdata.opendata import data, service
from govdata.opendata.models import LICENCE_LABELS, TOPIC_LABELS, OpenDataset
from govdata.opendata.schemas import OpenSearchQuery
from govdata.orgs.models import Unit

CKAN_VERSION = "2.10.4"  # the API generation this subset follows
ROWS_MAX = 1_000  # package_search rows, package_list / datastore_search limit: larger values are capped
DOWNLOADS = ("csv", "json", "xlsx")
FACET_NAMES = {"organization": "unit", "groups": "topic", "res_format": "format", "open_type": "open_type"}
SORTS = {"metadata_modified": OpenDataset.updated_at, "metadata_created": OpenDataset.published_at,
         "title_string": OpenDataset.title, "name": CatalogEntry.code, "title": OpenDataset.title}
FIELD_TYPES = {"C": "text", "M": "text", "N": "numeric", "Y": "numeric", "I": "int", "D": "date",
               "T": "timestamp", "L": "bool"}

Handler = Callable[["Call"], Any]
ACTIONS: dict[str, Handler] = {}


class Call:
    """One action call: who asks, its parameters as sent, and the site's address for links."""

    def __init__(self, db: Session, actor: Actor, *, params: dict[str, Any], base: str) -> None:
        self.db, self.actor, self.params, self.base = db, actor, params, base

    def text(self, name: str, *, required: bool = False, default: str = "", max_length: int = 200) -> str:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise RuleViolation(f"缺少参数 {name}", field=name)
            return default
        if not isinstance(value, str | int):
            raise RuleViolation(f"参数 {name} 应为字符串", field=name)
        text = str(value).strip()
        if len(text) > max_length or any(ord(c) < 32 for c in text):
            raise RuleViolation(f"参数 {name} 过长或含控制字符（至多 {max_length} 字）", field=name)
        return text

    def number(self, name: str, default: int, *, cap: int | None = None) -> int:
        """A non-negative integer; a value over `cap` is capped (CKAN's rows_max), a negative one refused."""
        value = self.params.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None:
            raise RuleViolation(f"参数 {name} 应为整数", field=name)
        if number < 0:
            raise RuleViolation(f"参数 {name} 不能为负数", field=name)
        return min(number, cap) if cap is not None else min(number, 10_000_000)

    def flag(self, name: str, default: bool) -> bool:
        value = self.params.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "yes"):
            return True
        if str(value).lower() in ("false", "0", "no"):
            return False
        raise RuleViolation(f"参数 {name} 应为 true 或 false", field=name)

    def structure(self, name: str) -> Any:
        """A list or object: as is from a JSON body, or JSON text from a query string."""
        value = self.params.get(name)
        if isinstance(value, str):
            try:
                return orjson.loads(value) if value.strip()[:1] in ("[", "{") else value
            except orjson.JSONDecodeError as exc:
                raise RuleViolation(f"参数 {name} 不是合法的 JSON", field=name) from exc
        return value

    def link(self, path: str) -> str:
        return f"{self.base}{path}"


def action(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ACTIONS[name] = handler
        return handler
    return register


def call(db: Session, actor: Actor, settings: Settings, *, name: str, params: dict[str, Any], base: str) -> Any:
    """Run one action for `actor` (each call counts against its rate limit: its key's, or its address's)."""
    handler = ACTIONS.get(name)
    if handler is None:
        raise BadRequest(f"Action name not known: {name}", field="action")
    data.limit_caller(db, actor, settings, scope="open.ckan", anonymous_limit=settings.open_anonymous_calls_per_minute)
    return handler(Call(db, actor, params=params, base=base))


def _when(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def organization_dict(unit: Unit, count: int | None = None) -> dict[str, Any]:
    found = {"id": unit.code.lower(), "name": unit.code.lower(), "title": unit.name, "display_name": unit.name,
             "type": "organization", "is_organization": True, "state": "active", "approval_status": "approved",
             "description": "", "image_url": ""}
    if count is not None:
        found["package_count"] = count
    return found


def resources(dataset: OpenDataset, base: str, *, readable: bool) -> list[dict[str, Any]]:
    """The dataset's table, then its downloads (those only when its values are open)."""
    name = dataset.slug
    common = {"package_id": name, "state": "active", "created": _when(dataset.published_at),
              "last_modified": _when(dataset.updated_at)}
    found = [{**common, "id": f"{name}-data", "name": f"{dataset.title}（数据表）", "format": "API",
              "url": f"{base}/api/v1/open/datasets/{dataset.id}/records", "datastore_active": readable,
              "description": "按信息项脱敏后的数据记录，可用 datastore_search 查询" if readable
              else "授权开放类数据，需申请授权后获取", "position": 0}]
    if readable:
        for i, medium in enumerate(DOWNLOADS, start=1):
            found.append({**common, "id": f"{name}-{medium}", "name": f"{dataset.title}（{medium.upper()}）",
                          "format": medium.upper(), "mimetype": data.MEDIA[medium].split(";")[0],
                          "url": f"{base}/api/v1/open/datasets/{dataset.id}/data.{medium}",
                          "datastore_active": False, "description": "全量下载（已脱敏）", "position": i})
    return found


def package_dict(db: Session, actor: Actor, dataset: OpenDataset, base: str) -> dict[str, Any]:
    entry = dataset.entry
    name = dataset.slug
    listed = resources(dataset, base, readable=data.may_read_data(actor, dataset))
    topic = TOPIC_LABELS.get(dataset.topic, dataset.topic)
    tags = [topic, label_of("format", entry.format)]
    return {
        "id": name, "name": name, "title": dataset.title, "notes": dataset.summary, "type": "dataset",
        "state": "active", "private": False, "url": f"{base}/open/datasets/{dataset.id}",
        "license_id": dataset.licence, "license_title": LICENCE_LABELS.get(dataset.licence, dataset.licence),
        "owner_org": dataset.unit.code.lower(), "organization": organization_dict(dataset.unit),
        "author": dataset.unit.name, "maintainer": dataset.unit.name, "version": str(dataset.entry_version),
        "metadata_created": _when(dataset.published_at), "metadata_modified": _when(dataset.updated_at),
        "tags": [{"name": t, "display_name": t} for t in tags], "num_tags": len(tags),
        "groups": [{"name": dataset.topic, "title": topic, "display_name": topic}],
        "resources": listed, "num_resources": len(listed),
        "extras": [{"key": "resource_code", "value": entry.code or ""},
                   {"key": "open_type", "value": dataset.open_type},
                   {"key": "update_cycle", "value": label_of("update_cycle", entry.update_cycle)},
                   {"key": "terms", "value": dataset.terms}],
    }


def find_package(call: Call, ident: str, field: str = "id") -> OpenDataset:
    """A dataset by its slug (or its number on the portal); not found when withdrawn or never published."""
    dataset = None
    if ident.isdigit() and len(ident) < 10:
        dataset = service.find_visible(call.db, call.actor, dataset_id=int(ident))
    if dataset is None:
        dataset = service.find_dataset_by_code(call.db, call.actor, slug=ident)
    if dataset is None:
        raise NotFound("Not found: 数据集不存在或已撤回", field=field)
    return dataset


def _fq(call: Call, text: str) -> dict[str, Any]:
    """Solr's filter query, for the fields this catalog has: organization, groups (topic), res_format,
    open_type; `field:value` terms, values optionally quoted."""
    found: dict[str, Any] = {}
    for term in text.split():
        key, sep, value = term.lstrip("+").partition(":")
        value = value.strip('"')
        if not sep or key not in FACET_NAMES or not value:
            raise RuleViolation(f"fq 仅支持 {'、'.join(FACET_NAMES)} 字段的 字段:值 形式，无法识别：{term}", field="fq")
        if key == "organization":
            unit = call.db.execute(select(Unit.id).where(func.lower(Unit.code) == value.lower())).scalar()
            found["unit"] = unit if unit is not None else 2**31 - 1  # an unknown unit matches nothing
        else:
            found[FACET_NAMES[key]] = value
    return found


def _sort(text: str) -> list[Any]:
    order = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        name, _, direction = part.partition(" ")
        direction = direction.strip().lower() or "asc"
        if name == "score":
            continue
        if name not in SORTS or direction not in ("asc", "desc"):
            raise RuleViolation(f"不支持的排序：{part}（可用 {'、'.join(SORTS)}，asc 或 desc）", field="sort")
        order.append(SORTS[name].desc() if direction == "desc" else SORTS[name].asc())
    return order


@action("package_search")
def package_search(call: Call) -> dict[str, Any]:
    q = call.text("q", max_length=100)
    conditions = _fq(call, call.text("fq", max_length=500))
    try:  # `q` is plain text: Solr and SQL syntax in it are matched as words, never run
        query = OpenSearchQuery(q="" if q == "*:*" else q, **conditions)
    except ValidationError as exc:
        raise RuleViolation(f"fq 的值不合法：{exc.errors()[0].get('msg', '')}", field="fq") from exc
    sort = call.text("sort", default="metadata_modified desc")
    rows, start = call.number("rows", 10, cap=ROWS_MAX), call.number("start", 0)
    total, found = service.find_datasets(call.db, call.actor, query=query, offset=start, limit=rows,
                                         order=_sort(sort))
    wanted = call.structure("facet.field") or []
    if isinstance(wanted, str):
        wanted = [wanted]
    if not isinstance(wanted, list) or any(w not in FACET_NAMES for w in wanted):
        raise RuleViolation(f"facet.field 仅支持 {'、'.join(FACET_NAMES)}", field="facet.field")
    counts = service.facet_counts(call.db, call.actor, query=query, names=[FACET_NAMES[w] for w in wanted])
    codes: dict[str, str] = {}
    if "organization" in wanted:  # the units' codes, only those counted (never a count over every dataset)
        ids = [int(c.value) for c in counts["unit"]]
        codes = {str(i): code.lower() for i, code in call.db.execute(select(Unit.id, Unit.code)
                                                                      .where(Unit.id.in_(ids)))}
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for name in wanted:
        named = [(codes.get(c.value, c.value) if name == "organization" else c.value, c)
                 for c in counts[FACET_NAMES[name]]]
        items = [{"name": key, "display_name": c.label, "count": c.count} for key, c in named]
        facets[name] = {key: c.count for key, c in named}
        search_facets[name] = {"title": name, "items": items}
    return {"count": total, "sort": sort, "facets": facets, "search_facets": search_facets,
            "results": [package_dict(call.db, call.actor, d, call.base) for d in found]}


@action("package_show")
def package_show(call: Call) -> dict[str, Any]:
    return package_dict(call.db, call.actor, find_package(call, call.text("id", required=True)), call.base)


@action("package_list")
def package_list(call: Call) -> list[str]:
    limit, offset = call.number("limit", ROWS_MAX, cap=ROWS_MAX), call.number("offset", 0)
    _, found = service.find_datasets(call.db, call.actor, query=OpenSearchQuery(), offset=offset, limit=limit,
                                     order=[CatalogEntry.code.asc()])
    return [d.slug for d in found]


@action("organization_list")
def organization_list(call: Call) -> list[Any]:
    units = service.providing_units(call.db, call.actor)
    limit, offset = call.number("limit", ROWS_MAX, cap=ROWS_MAX), call.number("offset", 0)
    chosen = units[offset:offset + limit]
    if call.flag("all_fields", False):
        return [organization_dict(u, c) for u, c in chosen]
    return [u.code.lower() for u, _ in chosen]


@action("organization_show")
def organization_show(call: Call) -> dict[str, Any]:
    ident = call.text("id", required=True).lower()
    for unit, count in service.providing_units(call.db, call.actor):
        if ident in (unit.code.lower(), str(unit.id)):
            found = organization_dict(unit, count)
            if call.flag("include_datasets", False):
                _, datasets = service.find_datasets(call.db, call.actor, query=OpenSearchQuery(unit=unit.id),
                                                    offset=0, limit=ROWS_MAX)
                found["packages"] = [package_dict(call.db, call.actor, d, call.base) for d in datasets]
            return found
    raise NotFound("Not found: 提供单位不存在或没有开放数据集", field="id")


def find_resource(call: Call, ident: str, field: str) -> tuple[OpenDataset, dict[str, Any]]:
    name, _, kind = ident.rpartition("-")
    if kind not in ("data", *DOWNLOADS) or not name:
        raise NotFound("Not found: 资源不存在", field=field)
    dataset = find_package(call, name, field)
    for found in resources(dataset, call.base, readable=data.may_read_data(call.actor, dataset)):
        if found["id"] == ident:
            return dataset, found
    raise NotFound("Not found: 资源不存在", field=field)


@action("resource_show")
def resource_show(call: Call) -> dict[str, Any]:
    return find_resource(call, call.text("id", required=True), "id")[1]


@action("status_show")
def status_show(call: Call) -> dict[str, Any]:
    return {"site_title": "政务数据开放平台", "site_description": "政务数据开放平台（CKAN 兼容接口子集）",
            "site_url": call.base, "ckan_version": CKAN_VERSION, "error_emails_to": None,
            "locale_default": "zh_Hans_CN", "extensions": ["datastore"]}
