"""The rule builder: a field's rules as rows of plain form inputs, and a posted form back into rule objects.

Each rule is one row named `r.<field>.<n>.<param>` (its `type`, then the inputs its type takes); a row with
`drop` ticked is left out, and each field has one empty row (`r.<field>.new.type`) to add a rule. The parsed
rules are the same objects the quality API takes (`rules.check_field_rules` checks both), so nothing here
decides what a valid rule is beyond turning text into numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from govdata.catalog.models import CatalogEntry, Field
from govdata.errors import RuleViolation
from govdata.quality.rules import COMPARE_OPS, DATE_TYPES, ORDERED_TYPES, RULE_LABELS, TEXT_TYPES, TYPE_NAMES, fits

PREFIX = "r."
NEW = "new"
REF_SEP = "|"
# The inputs each rule type's row shows, in order; the other types take none.
PARAMS: dict[str, tuple[str, ...]] = {
    "length": ("min", "max"), "range": ("min", "max"), "pattern": ("regex",), "code": ("table",),
    "birth_matches": ("idcard_field",), "compare": ("op", "other"), "reference": ("ref",),
}
REPEATABLE = {"compare", "pattern", "reference"}
HINTS = {
    "required": "不能为空", "type": "值符合信息项的数据类型", "idcard": "18 位公民身份号码（含校验位）",
    "uscc": "18 位统一社会信用代码（含校验位）", "phone": "手机号或固定电话", "email": "电子邮箱地址",
    "not_future": "日期不晚于当天", "unique": "各条记录的值互不相同",
}
INTEGER = re.compile(r"^[+-]?\d+$")
Row = dict[str, str]


@dataclass
class FieldRows:
    """The rows of one field's rules as the form shows them."""

    field: Field
    rows: list[Row] = dataclass_field(default_factory=list)

    @property
    def addable(self) -> list[tuple[str, str]]:
        """Rule types the empty row offers: those that fit the field's type and are not set yet."""
        taken = {r["type"] for r in self.rows} - REPEATABLE
        return [(t, RULE_LABELS[t]) for t in RULE_LABELS if t not in taken and fits(self.field, t)]


def rows_from_rules(rules: Iterable[Mapping[str, Any]]) -> list[Row]:
    """Stored rule objects → the text of their form rows."""
    rows = []
    for rule in rules:
        row = {"type": str(rule.get("type", ""))}
        for name, value in rule.items():
            if name not in {"type", "resource", "field"} and value is not None:
                row[name] = str(value)
        if row["type"] == "reference":
            row["ref"] = f"{rule.get('resource', '')}{REF_SEP}{rule.get('field', '')}"
        rows.append(row)
    return rows


def form_items(entry: CatalogEntry, rules: Mapping[str, list[dict[str, Any]]]) -> dict[str, str]:
    """The form a browser would post for these rules unchanged (used to check the builder round trip)."""
    out = {}
    for f in entry.fields:
        for n, row in enumerate(rows_from_rules(rules.get(f.name, []))):
            out.update({f"{PREFIX}{f.name}.{n}.{k}": v for k, v in row.items()})
    return out


def posted_rows(entry: CatalogEntry, form: Mapping[str, str]) -> list[FieldRows]:
    """The rows of a posted form, per field in the entry's order; dropped and empty new rows left out."""
    raw: dict[str, dict[str, Row]] = {}
    for key, value in form.items():
        if key.startswith(PREFIX) and key.count(".") >= 3:
            name, n, param = key[len(PREFIX):].rsplit(".", 2)
            raw.setdefault(name, {}).setdefault(n, {})[param] = value
    out = []
    for f in entry.fields:
        rows = raw.get(f.name, {})
        order = sorted((n for n in rows if n != NEW), key=lambda n: int(n) if n.isdigit() else -1)
        kept = [rows[n] for n in order if not rows[n].get("drop") and rows[n].get("type")]
        if rows.get(NEW, {}).get("type"):
            kept.append(rows[NEW])
        out.append(FieldRows(f, [{k: v for k, v in r.items() if k != "drop"} for r in kept]))
    return out


def stored_rows(entry: CatalogEntry, rules: Mapping[str, list[dict[str, Any]]]) -> list[FieldRows]:
    return [FieldRows(f, rows_from_rules(rules.get(f.name, []))) for f in entry.fields]


def _fail(f: Field, message: str) -> RuleViolation:
    return RuleViolation(f"信息项 {f.name}（{f.label}）：{message}", field=f.name)


def _integer(f: Field, text: str, what: str) -> int:
    if not INTEGER.match(text) or int(text) < 0:
        raise _fail(f, f"{what}应为非负整数，而不是「{text}」")
    return int(text)


def _number(f: Field, text: str, what: str) -> int | float | str:
    if f.data_type in DATE_TYPES:
        return text  # checked (and normalised) as a date by the rule check
    if INTEGER.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        raise _fail(f, f"{what}应为数值，而不是「{text}」") from None


def _rule(f: Field, row: Row) -> dict[str, Any]:
    rtype = row.get("type", "")
    rule: dict[str, Any] = {"type": rtype}
    values = {p: row.get(p, "").strip() for p in PARAMS.get(rtype, ())}
    if rtype == "pattern":
        values["regex"] = row.get("regex", "")  # spaces may matter in a pattern
    for name, text in values.items():
        if text == "":
            continue
        if rtype == "length":
            rule[name] = _integer(f, text, "长度的最短" if name == "min" else "长度的最长")
        elif rtype == "range":
            rule[name] = _number(f, text, "最小值" if name == "min" else "最大值")
        elif name == "ref":
            resource, _, target = text.rpartition(REF_SEP)
            rule.update(resource=resource, field=target)
        else:
            rule[name] = text
    return rule


def parse(entry: CatalogEntry, form: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """A posted builder form → rule objects per field (every field of the entry, so a removed rule is removed).
    Text that is not a number where one is needed is refused here, naming the field, in Chinese."""
    return {fr.field.name: [_rule(fr.field, row) for row in fr.rows] for fr in posted_rows(entry, form)}


def other_fields(entry: CatalogEntry, f: Field, rtype: str) -> list[Field]:
    """The entry's other fields a birth-date or compare rule of `f` may name."""
    if rtype == "birth_matches":
        return [o for o in entry.fields if o.name != f.name and o.data_type in TEXT_TYPES]
    same = f.data_type in DATE_TYPES
    return [o for o in entry.fields if o.name != f.name and o.data_type in ORDERED_TYPES
            and (o.data_type in DATE_TYPES) == same]


def describe(rule: Mapping[str, Any], entry: CatalogEntry) -> str:
    """One rule in words, as the entry page lists it."""
    labels = {f.name: f.label for f in entry.fields}
    rtype = str(rule.get("type", ""))
    name = RULE_LABELS.get(rtype, rtype)
    lo, hi = rule.get("min"), rule.get("max")
    if rtype in {"length", "range"}:
        unit = " 个字" if rtype == "length" else ""
        if lo is not None and hi is not None:
            return f"{name} {lo}～{hi}{unit}"
        return f"{name} {'不少于 ' + str(lo) if lo is not None else '不超过 ' + str(hi)}{unit}"
    if rtype == "pattern":
        return f"{name}：{rule.get('regex')}"
    if rtype == "code":
        return f"{name}：{rule.get('table')}"
    if rtype == "birth_matches":
        return f"{name}（{labels.get(str(rule.get('idcard_field')), rule.get('idcard_field'))}）"
    if rtype == "compare":
        other = str(rule.get("other"))
        return f"{name}：{COMPARE_OPS.get(str(rule.get('op')), rule.get('op'))} {labels.get(other, other)}"
    if rtype == "reference":
        return f"{name}：资源 {rule.get('resource')} 的 {rule.get('field')}"
    return name


def field_options(fields: Iterable[Field]) -> list[tuple[str, str]]:
    return [(o.name, f"{o.label}（{o.name}）") for o in fields]


def type_name(f: Field) -> str:
    return TYPE_NAMES.get(f.data_type, f.data_type)
