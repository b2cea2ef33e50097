"""Rule definitions: what a field's `rules` JSON may say, and checking a definition when it is saved.

A rule is a small JSON object with a `type`; the list for one field lives in `Field.rules`. A definition
that contradicts the field's type, names a field/table/resource that does not exist, or carries a regular
expression that does not compile or could backtrack catastrophically is refused with the field named.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import regex

from govdata.catalog.models import CatalogEntry, Field, FieldType
from govdata.errors import RuleViolation

TEXT_TYPES = {FieldType.CHAR.value, FieldType.MEMO.value}
NUMBER_TYPES = {FieldType.NUMBER.value, FieldType.MONEY.value, FieldType.INT.value, FieldType.FLOAT.value}
DATE_TYPES = {FieldType.DATE.value, FieldType.DATETIME.value}
ORDERED_TYPES = NUMBER_TYPES | DATE_TYPES

RULE_LABELS = {
    "required": "必填", "type": "类型", "length": "长度", "pattern": "格式（正则）", "range": "取值范围",
    "code": "代码表取值", "idcard": "公民身份号码", "uscc": "统一社会信用代码", "phone": "电话号码",
    "email": "电子邮箱", "not_future": "日期不晚于今天", "birth_matches": "出生日期与身份号码一致",
    "unique": "唯一", "compare": "跨字段比较", "reference": "引用其他资源",
}
# Which score a failed rule lowers.
DIMENSION = {"required": "completeness", "unique": "uniqueness", "compare": "consistency",
             "birth_matches": "consistency", "reference": "consistency"}
COMPARE_OPS = {"<": "小于", "<=": "不晚于/不大于", ">": "大于", ">=": "不早于/不小于", "==": "等于", "!=": "不等于"}
REGEX_TIMEOUT = 0.05  # seconds one match may take, at every way in and in scans
# A group that itself contains a quantifier and is quantified again: (a+)+, (a|aa)*, (\w+\s?)* ...
NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,\d*\})")
# Near-matches that make backtracking engines explode: long runs of one class, and of separated items.
ADVERSARIAL = ("a" * 28 + "!", "0" * 28 + "x", " " * 28 + "!", "aA0_-." * 6 + "\x00",
               *(f"1{sep}" * 30 for sep in ",; |/-.:"))


@dataclass(frozen=True)
class Rule:
    """One checked rule of one field."""

    field: str
    type: str
    params: Mapping[str, Any]

    @property
    def key(self) -> str:
        """Stable id of the rule within its entry, for reports and de-duplicated corrections."""
        extra = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.field}:{self.type}" + (f"({extra})" if extra else "")

    @property
    def label(self) -> str:
        return RULE_LABELS.get(self.type, self.type)

    @property
    def dimension(self) -> str:
        return DIMENSION.get(self.type, "validity")


def _fail(field: Field, message: str) -> RuleViolation:
    return RuleViolation(f"信息项 {field.name}（{field.label}）：{message}", field=field.name)


def _number(field: Field, raw: Any, name: str, kind: str) -> Any:
    if raw is None:
        return None
    if kind in DATE_TYPES:
        try:
            return date.fromisoformat(str(raw)).isoformat()
        except ValueError:
            raise _fail(field, f"{name} 应为日期 YYYY-MM-DD") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        try:
            raw = float(raw)
        except (TypeError, ValueError):
            raise _fail(field, f"{name} 应为数值") from None
    return raw


def check_regex_safe(field: Field, pattern: str) -> regex.Pattern[str]:
    """Compile a user pattern; refuse nested quantifiers and patterns slow on adversarial input."""
    try:
        compiled = regex.compile(pattern)
        re.compile(pattern)  # what `regex` accepts beyond `re` is not needed here and easier to misuse
    except (regex.error, re.error) as exc:
        raise _fail(field, f"正则表达式无法编译：{exc}") from None
    if NESTED_QUANTIFIER.search(pattern):
        raise _fail(field, "正则表达式含嵌套量词（如 (a+)+），可能导致灾难性回溯，请改写")
    for sample in ADVERSARIAL:
        try:
            compiled.fullmatch(sample, timeout=REGEX_TIMEOUT)
            compiled.search(sample, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            raise _fail(field, "正则表达式匹配超时（灾难性回溯），请改写") from None
    return compiled


@dataclass
class KnownNames:
    """What rules may refer to: code tables and registered resources' field names (loaded once)."""

    code_tables: set[str]
    resources: dict[str, set[str]]


def _check_one(entry: CatalogEntry, field: Field, raw: Mapping[str, Any], known: KnownNames) -> Rule:
    rtype = str(raw.get("type", ""))
    if rtype not in RULE_LABELS:
        raise _fail(field, f"未知的规则类型 {rtype or '（空）'}")
    _check_fits_type(field, rtype)
    params = {k: v for k, v in raw.items() if k != "type"}
    checker = PARAM_CHECKS.get(rtype)
    return Rule(field.name, rtype, checker(entry, field, params, known) if checker else {})


TEXT_ONLY = {"length", "pattern", "code", "idcard", "uscc", "phone", "email"}
TYPE_NAMES = {"C": "字符型", "N": "数值型", "Y": "货币型", "D": "日期型", "T": "日期时间型", "L": "逻辑型",
              "M": "备注型", "I": "整型", "F": "浮点型"}


def fits(field: Field, rtype: str) -> bool:
    """Whether a rule of this type may be set on the field (what the rule builder offers)."""
    try:
        _check_fits_type(field, rtype)
    except RuleViolation:
        return False
    return True


def _check_fits_type(field: Field, rtype: str) -> None:
    """A rule that contradicts the field's type is refused."""
    kind = field.data_type
    name = TYPE_NAMES.get(kind, kind)
    if rtype in TEXT_ONLY and kind not in TEXT_TYPES:
        raise _fail(field, f"规则「{RULE_LABELS[rtype]}」只适用于字符型，与类型{name}矛盾")
    if rtype in {"range", "compare"} and kind not in ORDERED_TYPES:
        raise _fail(field, f"规则「{RULE_LABELS[rtype]}」只适用于数值或日期，与类型{name}矛盾")
    if rtype == "not_future" and kind not in DATE_TYPES:
        raise _fail(field, "规则「日期不晚于今天」只适用于日期型")
    if rtype == "birth_matches" and kind != FieldType.DATE.value:
        raise _fail(field, "规则「出生日期与身份号码一致」只适用于日期型")


Params = dict[str, Any]


def _length(_entry: CatalogEntry, field: Field, params: Params, _known: KnownNames) -> Params:
    lo, hi = params.get("min"), params.get("max")
    if any(v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0) for v in (lo, hi)):
        raise _fail(field, "长度的最短、最长应为非负整数")
    if lo is None and hi is None:
        raise _fail(field, "长度规则至少填写最短或最长")
    if lo is not None and hi is not None and lo > hi:
        raise _fail(field, "长度的最短大于最长")
    if hi is not None and field.length and hi > field.length:
        raise _fail(field, f"长度上限 {hi} 超过字段长度 {field.length}")
    return {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}


def _pattern(_entry: CatalogEntry, field: Field, params: Params, _known: KnownNames) -> Params:
    pattern = params.get("regex")
    if not isinstance(pattern, str) or not pattern:
        raise _fail(field, "格式规则需要填写正则表达式")
    check_regex_safe(field, pattern)
    return {"regex": pattern}


def _range(_entry: CatalogEntry, field: Field, params: Params, _known: KnownNames) -> Params:
    lo = _number(field, params.get("min"), "最小值", field.data_type)
    hi = _number(field, params.get("max"), "最大值", field.data_type)
    if lo is None and hi is None:
        raise _fail(field, "取值范围至少填写最小值或最大值")
    if lo is not None and hi is not None and lo > hi:
        raise _fail(field, "取值范围的最小值大于最大值")
    return {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}


def _code(_entry: CatalogEntry, field: Field, params: Params, known: KnownNames) -> Params:
    table = params.get("table")
    if not table:
        raise _fail(field, "请选择代码表")
    if table not in known.code_tables:
        raise _fail(field, f"代码表 {table} 不存在")
    return {"table": table}


def _birth(entry: CatalogEntry, field: Field, params: Params, _known: KnownNames) -> Params:
    other = _other_field(entry, field, params.get("idcard_field"))
    if other.data_type not in TEXT_TYPES:
        raise _fail(field, f"身份号码字段 {other.label}（{other.name}）应为字符型")
    return {"idcard_field": other.name}


def _compare(entry: CatalogEntry, field: Field, params: Params, _known: KnownNames) -> Params:
    op = params.get("op")
    if op not in COMPARE_OPS:
        raise _fail(field, f"请选择比较方式（{'、'.join(COMPARE_OPS.values())}）")
    other = _other_field(entry, field, params.get("other"))
    same_family = (field.data_type in DATE_TYPES) == (other.data_type in DATE_TYPES)
    if other.data_type not in ORDERED_TYPES or not same_family:
        kind = TYPE_NAMES.get(other.data_type, other.data_type)
        raise _fail(field, f"不能与字段 {other.label}（{other.name}，{kind}）比较")
    return {"op": op, "other": other.name}


def _reference(_entry: CatalogEntry, field: Field, params: Params, known: KnownNames) -> Params:
    code, target = params.get("resource"), params.get("field")
    if not code or not target:
        raise _fail(field, "请选择被引用的资源及其信息项")
    target_fields = known.resources.get(str(code))
    if target_fields is None:
        raise _fail(field, f"被引用的资源 {code} 不存在或未注册")
    if target not in target_fields:
        raise _fail(field, f"资源 {code} 没有信息项 {target}")
    return {"resource": code, "field": target}


PARAM_CHECKS: dict[str, Callable[[CatalogEntry, Field, Params, KnownNames], Params]] = {
    "length": _length, "pattern": _pattern, "range": _range, "code": _code, "birth_matches": _birth,
    "compare": _compare, "reference": _reference,
}


def _other_field(entry: CatalogEntry, field: Field, name: Any) -> Field:
    for other in entry.fields:
        if other.name == name and other.name != field.name:
            return other
    if not name:
        raise _fail(field, "请选择本资源中的另一个信息项")
    raise _fail(field, f"引用的字段 {name} 不在本资源中")


def check_field_rules(entry: CatalogEntry, field: Field, raw: Any, known: KnownNames) -> list[Rule]:
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise _fail(field, "规则应为对象列表（JSON）")
    rules = [_check_one(entry, field, r, known) for r in raw]
    types = [r.type for r in rules if r.type not in {"compare", "pattern", "reference"}]
    if len(types) != len(set(types)):
        raise _fail(field, "同一类型的规则重复（格式、跨字段比较、引用以外的规则每种只设一条）")
    return rules


def parse_stored(entry: CatalogEntry) -> list[Rule]:
    """The rules stored on an entry's fields (already checked when saved), plus 必填 from the catalog."""
    out: list[Rule] = []
    for field in entry.fields:
        raw = orjson.loads(field.rules or "[]")
        stored = [Rule(field.name, str(r["type"]), {k: v for k, v in r.items() if k != "type"}) for r in raw]
        if field.is_required and not field.is_key and not any(r.type == "required" for r in stored):
            stored.insert(0, Rule(field.name, "required", {}))
        out += stored
    return out


def dump_rules(rules: Iterable[Rule]) -> str:
    return orjson.dumps([{"type": r.type, **r.params} for r in rules]).decode()
