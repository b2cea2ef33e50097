"""Snapshots of an entry's content and the readable difference between two of them (第八条)."""

from __future__ import annotations

from typing import Any

import orjson

from govdata.catalog.models import CatalogEntry
from govdata.catalog.schemas import EntryBase, FieldIn

# The entry attributes a steward states; a change to any of them makes a new version.
CONTENT_ATTRS = [
    "name", "summary", "category", "category_code", "format", "published_on", "related_codes", "share_type",
    "share_condition", "share_method", "legal_basis", "open_type", "open_condition", "update_cycle", "ingest_mode",
    "security_class", "recollection_basis", "lookup_combinations",
]
FIELD_ATTRS = [name for name in FieldIn.model_fields if name != "name"]
EMPTY: dict[str, Any] = {"fields": []}
LATER_DEFAULTS: dict[str, Any] = {"lookup_combinations": []}

ATTR_LABELS = {
    "name": "名称", "summary": "摘要", "category": "信息资源分类", "category_code": "分类代码", "format": "格式",
    "published_on": "发布日期", "related_codes": "关联资源代码", "share_type": "共享类型",
    "share_condition": "共享条件", "share_method": "共享方式", "legal_basis": "法律依据", "open_type": "开放类型",
    "open_condition": "开放条件", "update_cycle": "更新周期", "ingest_mode": "汇聚方式",
    "security_class": "数据类别", "recollection_basis": "重复采集依据",
    "lookup_combinations": "组合查询项", "label": "中文名称",
    "data_type": "数据类型", "length": "长度", "precision": "精度", "is_key": "主键", "is_lookup": "查询项",
    "is_required": "必填", "description": "描述", "sensitivity": "敏感类型", "masking_rule": "脱敏规则",
    "security_level": "敏感级别",
}


def snapshot(entry: CatalogEntry) -> dict[str, Any]:
    """The entry's stated content, in the same shape as `content_of` gives for an input."""
    data: dict[str, Any] = {attr: getattr(entry, attr) for attr in CONTENT_ATTRS}
    data["published_on"] = entry.published_on.isoformat() if entry.published_on else None
    data["related_codes"] = [c for c in entry.related_codes.split(",") if c]
    data["lookup_combinations"] = [list(group) for group in entry.combinations]
    data["fields"] = [{"name": f.name, **{a: getattr(f, a) for a in FIELD_ATTRS}} for f in entry.fields]
    return data


def content_of(data: EntryBase) -> dict[str, Any]:
    dumped = data.model_dump(mode="json")
    content = {attr: dumped[attr] for attr in CONTENT_ATTRS}
    content["fields"] = dumped["fields"]
    return content


def dumps(data: Any) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def loads(text: str | None) -> dict[str, Any]:
    return orjson.loads(text) if text else {}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Fields added, removed and changed (attribute by attribute), and entry attributes changed."""
    old = {f["name"]: f for f in before.get("fields", [])}
    new = {f["name"]: f for f in after.get("fields", [])}
    changed = []
    for name, field in new.items():
        if name in old:
            changes = {a: [old[name].get(a), field.get(a)] for a in FIELD_ATTRS if old[name].get(a) != field.get(a)}
            if changes:
                changed.append({"name": name, "label": field.get("label", ""), "changes": changes})
    attrs = {}
    if before.get("fields"):  # a first version has no "before" to compare attributes with
        # an attribute added later is absent from older snapshots: absent means its default there
        attrs = {a: [before.get(a, LATER_DEFAULTS.get(a)), after.get(a, LATER_DEFAULTS.get(a))] for a in CONTENT_ATTRS
                 if before.get(a, LATER_DEFAULTS.get(a)) != after.get(a, LATER_DEFAULTS.get(a))}
    return {
        "fields_added": [{"name": n, "label": f.get("label", "")} for n, f in new.items() if n not in old],
        "fields_removed": [{"name": n, "label": f.get("label", "")} for n, f in old.items() if n not in new],
        "fields_changed": changed,
        "attributes_changed": attrs,
    }


def is_empty(change: dict[str, Any]) -> bool:
    return not any(change.get(k) for k in ("fields_added", "fields_removed", "fields_changed", "attributes_changed"))


def describe(change: dict[str, Any]) -> list[str]:
    """One Chinese line per change, for notifications and the audit trail."""
    lines = [f"新增信息项 {f['label']}（{f['name']}）" for f in change.get("fields_added", [])]
    lines += [f"删除信息项 {f['label']}（{f['name']}）" for f in change.get("fields_removed", [])]
    for f in change.get("fields_changed", []):
        parts = "，".join(f"{ATTR_LABELS.get(a, a)} {v[0]} → {v[1]}" for a, v in f["changes"].items())
        lines.append(f"修改信息项 {f['label']}（{f['name']}）：{parts}")
    for attr, (old, new) in change.get("attributes_changed", {}).items():
        lines.append(f"{ATTR_LABELS.get(attr, attr)}：{old} → {new}")
    return lines
