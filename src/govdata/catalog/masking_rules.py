"""The text of a field's 脱敏规则: which rule names exist, their one parameter, their Chinese labels, and which
data types each suits. The catalog states and checks a rule here; `govdata.masking` (a higher domain) carries
it out, so the names live below both of them and neither imports the other's side.

A rule text is a `MaskingRule` name, optionally followed by `:` and a whole number for the two rules that take
one: `number_band:10000` (band width, default 10) and `pseudonym:24` (hex characters kept, default 16).
The empty text means "no rule stated": masking then decides from the field's sensitivity and level.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from govdata.catalog.models import FieldType, MaskingRule

# (default, smallest, largest) of each rule that takes a parameter.
PARAMS: dict[MaskingRule, tuple[int, int, int]] = {
    MaskingRule.NUMBER_BAND: (10, 1, 10**12),
    MaskingRule.PSEUDONYM: (16, 8, 64),  # 16 hex = 64 bits: no collision expected among tens of millions
}
DEFAULT_LABEL = "默认（按敏感类型和级别）"
LABELS: dict[MaskingRule, str] = {
    MaskingRule.CLEAR: "不脱敏（明文）",
    MaskingRule.SUPPRESS: "不提供（屏蔽）",
    MaskingRule.ID_CARD: "身份证号（保留前6后4）",
    MaskingRule.MOBILE: "手机号（保留前3后4）",
    MaskingRule.LANDLINE: "固定电话（保留区号和末2位）",
    MaskingRule.PHONE: "电话号码（按号码识别手机或固话）",
    MaskingRule.NAME: "姓名（保留姓氏）",
    MaskingRule.ADDRESS: "地址（保留到区县或乡镇街道）",
    MaskingRule.BANK_CARD: "银行卡号（保留前6后4）",
    MaskingRule.EMAIL: "电子邮箱（保留首字符和域名）",
    MaskingRule.PLATE: "车牌号（保留省份、发牌机关和末位）",
    MaskingRule.DATE_YEAR: "日期（保留到年）",
    MaskingRule.DATE_MONTH: "日期（保留到月）",
    MaskingRule.NUMBER_BAND: "数值分段（每{n}一段）",
    MaskingRule.PSEUDONYM: "假名（密钥散列{n}位，可关联）",
}
# What the form offers, in this order; a field's other valid text (number_band:5000) is offered beside them.
PRESETS = ["", "clear", "suppress", "id_card", "mobile", "landline", "phone", "name", "address", "bank_card",
           "email", "plate", "date_year", "date_month", "number_band:10", "number_band:1000", "number_band:10000",
           "number_band:100000", "pseudonym"]

_TEXT_TYPES = frozenset({FieldType.CHAR, FieldType.MEMO, FieldType.NUMBER, FieldType.INT})  # 号码 kept as numbers
SUITS: dict[MaskingRule, frozenset[str]] = {
    **{rule: _TEXT_TYPES for rule in (MaskingRule.ID_CARD, MaskingRule.MOBILE, MaskingRule.LANDLINE,
                                      MaskingRule.PHONE, MaskingRule.BANK_CARD)},
    **{rule: frozenset({FieldType.CHAR, FieldType.MEMO}) for rule in (MaskingRule.NAME, MaskingRule.ADDRESS,
                                                                        MaskingRule.EMAIL, MaskingRule.PLATE)},
    MaskingRule.DATE_YEAR: frozenset({FieldType.DATE, FieldType.DATETIME, FieldType.CHAR}),
    MaskingRule.DATE_MONTH: frozenset({FieldType.DATE, FieldType.DATETIME, FieldType.CHAR}),
    MaskingRule.NUMBER_BAND: frozenset({FieldType.NUMBER, FieldType.MONEY, FieldType.INT, FieldType.FLOAT,
                                        FieldType.CHAR}),
}  # clear, suppress and pseudonym suit every type
TYPE_NAMES = {"C": "字符型", "N": "数值型", "Y": "货币型", "D": "日期型", "T": "日期时间型", "L": "逻辑型",
              "M": "备注型", "I": "整型", "F": "浮点型"}


@dataclass(frozen=True)
class RuleText:
    """A parsed rule text. `param` is the effective parameter (the default when the text gave none)."""

    rule: MaskingRule
    param: int | None = None
    explicit: bool = False  # the text gave the parameter

    @property
    def text(self) -> str:
        """The canonical text, as stored: `number_band:10000`, `id_card`."""
        return f"{self.rule.value}:{self.param}" if self.explicit else self.rule.value

    @property
    def label(self) -> str:
        return LABELS[self.rule].format(n=self.param)


def _names() -> str:
    return "、".join(r.value for r in MaskingRule)


def parse(text: str, *, data_type: str | None = None) -> RuleText:
    """The rule a non-empty text names; raises ValueError with a Chinese message when it names none, its
    parameter is wrong, or the rule does not suit `data_type` (when given)."""
    name, colon, raw = unicodedata.normalize("NFKC", text).strip().partition(":")
    name = name.strip().lower()
    try:
        rule = MaskingRule(name)
    except ValueError:
        raise ValueError(f"脱敏规则“{text}”不是可选值（可选：{_names()}）") from None
    spec = PARAMS.get(rule)
    if spec is None:
        if colon:
            raise ValueError(f"脱敏规则 {rule.value} 不带参数")
        found = RuleText(rule)
    elif not colon:
        found = RuleText(rule, spec[0])
    else:
        raw = raw.strip()
        if not raw.isascii() or not raw.isdigit() or not spec[1] <= int(raw) <= spec[2]:
            raise ValueError(f"脱敏规则 {rule.value} 的参数应为 {spec[1]} 到 {spec[2]} 之间的整数"
                             f"（如 {rule.value}:{spec[0]}）")
        found = RuleText(rule, int(raw), explicit=True)
    suits = SUITS.get(rule)
    if data_type is not None and suits is not None and data_type not in suits:
        raise ValueError(f"脱敏规则 {rule.value} 不适用于{TYPE_NAMES.get(data_type, data_type)}信息项")
    return found


def canonical(text: str, *, data_type: str | None = None) -> str:
    """The text as stored: "" stays "", anything else parsed (ValueError when invalid) and written canonically."""
    return parse(text, data_type=data_type).text if text.strip() else ""


def label(text: str | None) -> str:
    """The Chinese label of a stored text; an invalid one (kept from before the check) is named as such."""
    if not text or not text.strip():
        return DEFAULT_LABEL
    try:
        return parse(text).label
    except ValueError:
        return f"{text}（无效规则，按不提供处理）"


def _label_patterns() -> list[tuple[re.Pattern[str], MaskingRule]]:
    patterns = []
    for rule, template in LABELS.items():
        pattern = re.escape(template).replace(re.escape("{n}"), r"(\d+)")
        patterns.append((re.compile(f"^{pattern}$"), rule))
    return patterns


_BY_LABEL = _label_patterns()


def from_cell(raw: Any) -> str:
    """A spreadsheet cell's rule: a label as exported (数值分段（每10000一段）) or a rule text as typed; anything
    else is returned as it is, for the schema to refuse by name."""
    text = str(raw).strip()
    for pattern, rule in _BY_LABEL:
        found = pattern.match(text)
        if found:
            return f"{rule.value}:{found.group(1)}" if found.groups() else rule.value
    return text


def to_cell(text: str) -> str:
    """What a spreadsheet shows for a stored rule: its label, or nothing when no rule was stated."""
    return label(text) if text and text.strip() else ""


def choices(current: str | None) -> list[tuple[str, str]]:
    """The form's options: the presets, and the field's own text when it is none of them (kept, not lost)."""
    options = [(text, label(text)) for text in PRESETS]
    if current and current not in PRESETS:
        options.append((current, label(current)))
    return options
