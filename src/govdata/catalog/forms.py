"""The entry form of the pages: flat form data ⇄ `EntryCreate`, with errors named per item in Chinese."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from govdata.catalog.schemas import EntryBase, EntryUpdate, FieldIn, error_message

ENTRY_INPUTS = ["name", "summary", "category", "category_code", "format", "published_on", "related_codes",
                "share_type", "share_condition", "share_method", "legal_basis", "open_type", "open_condition",
                "update_cycle", "ingest_mode", "security_class", "recollection_basis", "lookup_combinations", "note"]
FIELD_INPUTS = [name for name in FieldIn.model_fields]
FLAGS = ["is_key", "is_lookup", "is_required"]
ITEM_LABELS = {
    "name": "名称", "summary": "摘要", "category": "信息资源分类", "category_code": "分类代码", "format": "格式",
    "published_on": "发布日期", "related_codes": "关联资源代码", "share_type": "共享类型",
    "share_condition": "共享条件", "share_method": "共享方式", "legal_basis": "法律依据", "open_type": "开放类型",
    "open_condition": "开放条件", "update_cycle": "更新周期", "ingest_mode": "汇聚方式",
    "security_class": "数据类别", "recollection_basis": "重复采集依据", "is_classified": "涉密声明",
    "fields": "信息项", "key_fields": "主键", "label": "中文名称", "data_type": "数据类型", "length": "长度",
    "precision": "精度", "description": "描述", "sensitivity": "敏感类型", "masking_rule": "脱敏规则",
    "security_level": "敏感级别", "note": "变更说明", "lookup_combinations": "组合查询项",
}
BLANK_ROWS = 3


def values_from_form(form: Any) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The form as posted: entry inputs, and field rows (blank rows dropped)."""
    values = {name: str(form.get(name, "") or "") for name in ENTRY_INPUTS}
    values["is_classified"] = "1" if form.get("is_classified") else ""
    rows: list[dict[str, Any]] = []
    count = min(int(form.get("rows", "0") or 0), 500)
    for i in range(count):
        row: dict[str, Any] = {name: str(form.get(f"f{i}_{name}", "") or "").strip()
                               for name in FIELD_INPUTS if name not in FLAGS}
        row.update({flag: bool(form.get(f"f{i}_{flag}")) for flag in FLAGS})
        if row["name"] or row["label"]:
            rows.append(row)
    return values, rows


def values_from_entry(data: EntryBase) -> tuple[dict[str, str], list[dict[str, Any]]]:
    dumped = data.model_dump(mode="json")
    values = {name: "" if dumped.get(name) is None else str(dumped.get(name, "")) for name in ENTRY_INPUTS}
    values["related_codes"] = ",".join(dumped["related_codes"])
    values["lookup_combinations"] = "；".join("+".join(group) for group in dumped["lookup_combinations"])
    values["is_classified"] = ""
    rows = [{k: ("" if v is None else v) for k, v in f.items()} for f in dumped["fields"]]
    return values, rows


def to_payload(values: dict[str, str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    payload: dict[str, Any] = {k: v for k, v in values.items() if v != "" and k != "is_classified"}
    payload["is_classified"] = bool(values.get("is_classified"))
    payload["related_codes"] = [c.strip() for c in values.get("related_codes", "").replace("，", ",").split(",")]
    groups = values.get("lookup_combinations", "").replace("；", ";").replace("＋", "+").split(";")
    payload["lookup_combinations"] = [[n.strip() for n in g.split("+") if n.strip()] for g in groups if g.strip()]
    payload["fields"] = [{k: v for k, v in row.items() if v != ""} for row in rows]
    return payload


def parse(values: dict[str, str], rows: list[dict[str, Any]]) -> tuple[EntryUpdate | None, list[str]]:
    """The validated entry, or the problems, each naming its item (and field row)."""
    data, problems = parse_by_input(values, rows)
    return data, list(problems.values())


def parse_by_input(values: dict[str, str], rows: list[dict[str, Any]]) -> tuple[EntryUpdate | None, dict[str, str]]:
    """The validated entry, or each problem under the input it belongs beside (`name`, `f2_length`; `fields`
    for the table as a whole)."""
    try:
        return EntryUpdate.model_validate(to_payload(values, rows)), {}
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            problems.setdefault(input_of(error), describe(error, rows))
        return None, problems


def input_of(error: Any) -> str:
    """The form input a pydantic error of `EntryUpdate` is about."""
    loc = [str(p) for p in error.get("loc", ())]
    if len(loc) >= 2 and loc[0] == "fields" and loc[1].isdigit():
        column = loc[2] if len(loc) > 2 and loc[2] in FIELD_INPUTS else "name"
        return f"f{loc[1]}_{column}"
    return loc[0] if loc else ""


def describe(error: Any, rows: list[dict[str, Any]]) -> str:
    loc = list(error.get("loc", ()))
    message = error_message(error)
    if loc and loc[0] == "fields" and len(loc) > 1 and isinstance(loc[1], int):
        row = rows[loc[1]] if loc[1] < len(rows) else {}
        item = ITEM_LABELS.get(str(loc[2]), str(loc[2])) if len(loc) > 2 else ""
        return f"信息项第 {loc[1] + 1} 行（{row.get('name') or row.get('label') or ''}）{item}：{message}"
    item = ITEM_LABELS.get(str(loc[0]), str(loc[0])) if loc else "信息资源"
    return f"{item}：{message}"
