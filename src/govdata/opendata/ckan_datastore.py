"""CKAN's datastore_search over an open dataset's table: its values come only through `data.search_records`,
masked by each field's rule; filters and sorts on masked fields are refused (Validation Error naming the
field); `limit=0` gives the fields alone; `total` is counted only up to a bound (`total_was_estimated` says
when it is a lower bound), never over the whole table."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from govdata.errors import RuleViolation
from govdata.opendata import data
from govdata.opendata.ckan import FIELD_TYPES, ROWS_MAX, Call, action, find_resource
from govdata.opendata.schemas import RecordSearch

DEFAULT_LIMIT = 100
COUNT_CAP = 10_000  # rows a call counts at most for its `total` (past it: total_was_estimated, a lower bound)


def _filters(call: Call) -> dict[str, list[str]]:
    given = call.structure("filters") or {}
    if not isinstance(given, dict):
        raise RuleViolation("filters 应为 JSON 对象，如 {\"字段\": \"值\"}", field="filters")
    found: dict[str, list[str]] = {}
    for name, value in given.items():
        values = value if isinstance(value, list) else [value]
        if not values or any(isinstance(v, dict | list) or v is None for v in values):
            raise RuleViolation(f"filters 中 {name} 的值应为字符串、数字或它们的列表", field=str(name))
        found[str(name)] = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    return found


def _names(call: Call, name: str) -> list[str]:
    given = call.structure(name)
    if given is None or given == "":
        return []
    if isinstance(given, str):
        given = [p.strip() for p in given.split(",") if p.strip()]
    if not isinstance(given, list) or not all(isinstance(n, str) for n in given):
        raise RuleViolation(f"{name} 应为信息项名的列表或以逗号分隔的文本", field=name)
    return given


def _sorts(call: Call) -> list[tuple[str, bool]]:
    found = []
    for part in _names(call, "sort"):
        name, _, direction = part.strip().partition(" ")
        direction = direction.strip().lower() or "asc"
        if direction not in ("asc", "desc"):
            raise RuleViolation(f"排序方向应为 asc 或 desc：{part}", field="sort")
        found.append((name.strip('"'), direction == "desc"))
    return found


@action("datastore_search")
def datastore_search(call: Call) -> dict[str, Any]:
    ident = call.text("resource_id", required=True)
    dataset, resource = find_resource(call, ident, "resource_id")
    if not ident.endswith("-data"):
        raise RuleViolation("该资源是文件下载，不能用 datastore_search 查询；请用 <名称>-data", field="resource_id")
    q = call.params.get("q")
    if isinstance(q, dict):
        raise RuleViolation("q 只支持文本", field="q")
    limit, offset = call.number("limit", DEFAULT_LIMIT, cap=ROWS_MAX), call.number("offset", 0)
    try:
        search = RecordSearch(filters=_filters(call), q=call.text("q", max_length=100), fields=_names(call, "fields")
                              or None, sort=_sorts(call), limit=limit, offset=offset,
                              include_total=call.flag("include_total", True), count_cap=COUNT_CAP)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first.get("loc", ("q",))[0])
        raise RuleViolation(f"参数 {field} 不合法：{first.get('msg', '')}", field=field) from exc
    page = data.search_records(call.db, call.actor, dataset_id=dataset.id, query=search)
    fields = [{"id": f.name, "type": FIELD_TYPES.get(f.data_type, "text"),
               "info": {"label": f.label, "notes": f.description, "masked": page.masked[f.name]}}
              for f in page.fields]
    path = f"/api/3/action/datastore_search?resource_id={ident}"
    return {"resource_id": ident, "fields": fields, "records": page.records, "limit": limit, "offset": offset,
            "filters": search.filters, "q": search.q, "sort": ", ".join(f"{n} {'desc' if d else 'asc'}"
                                                                       for n, d in search.sort),
            "total": page.total, "total_was_estimated": page.total_is_estimate,
            "_links": {"start": path, "next": f"{path}&offset={offset + limit}&limit={limit}"}}
