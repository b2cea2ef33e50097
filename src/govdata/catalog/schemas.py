"""Catalog inputs and outputs. Shape rules live here; rules needing the database live in the service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from govdata.catalog import masking_rules
from govdata.catalog.models import (
    FieldType,
    IngestMode,
    MaskingRule,
    OpenType,
    ResourceCategory,
    ResourceFormat,
    SecurityClass,
    SecurityLevel,
    Sensitivity,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from govdata.errors import FieldProblem
from govdata.types import IsoDate, Timestamp

FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
CATEGORY_DIGIT = {ResourceCategory.BASE: "1", ResourceCategory.TOPIC: "2", ResourceCategory.DEPARTMENT: "3"}
# 类-项-目-细目: 类 is 1 (基础) / 2 (主题) / 3 (部门), then 2, 3 and 3 digits.
CATEGORY_CODE = r"^[123](-\d{2}(-\d{3}(-\d{3})?)?)?$"
NO_LENGTH = {FieldType.DATE, FieldType.DATETIME, FieldType.BOOL, FieldType.MEMO}
MAX_LENGTH = {FieldType.CHAR: 4000, FieldType.NUMBER: 38, FieldType.MONEY: 38, FieldType.INT: 19,
              FieldType.FLOAT: 38}
# Values that name no one alone (a name, an address): such a field is looked up only in a named combination.
NOT_UNIQUE_RULES = frozenset({MaskingRule.NAME.value, MaskingRule.ADDRESS.value})
LEVEL_ORDER = [SecurityLevel.L1, SecurityLevel.L2, SecurityLevel.L3, SecurityLevel.L4]


class FieldIn(BaseModel):
    """A 信息项 as the steward states it."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: FieldName
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    data_type: FieldType
    # Bounded by what the databases can declare: varchar(n) up to 10485760 on PostgreSQL, numeric up to 1000 digits.
    length: int | None = Field(default=None, ge=1, le=10_485_760)
    precision: int | None = Field(default=None, ge=0, le=1000)
    is_key: bool = False
    is_lookup: bool = False
    is_required: bool = False
    description: Text = ""
    sensitivity: Sensitivity = Sensitivity.NONE
    masking_rule: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = ""
    security_level: SecurityLevel = SecurityLevel.L1

    @field_validator("masking_rule")
    @classmethod
    def _known_masking_rule(cls, text: str, info: ValidationInfo) -> str:
        """A rule masking knows and that suits the type, stored canonically; never guessed (an unknown text would
        be withheld everywhere, so it is refused here, where the steward can fix it)."""
        try:
            return masking_rules.canonical(text, data_type=info.data.get("data_type"))
        except ValueError as exc:
            raise ValueError(f"信息项 {info.data.get('name', '')}：{exc}") from None

    @model_validator(mode="after")
    def _length_fits_type(self) -> FieldIn:
        kind = self.data_type
        if kind in NO_LENGTH and self.length is not None:
            raise ValueError(f"信息项 {self.name}：{kind.value} 类型不应填写长度")
        if kind in (FieldType.CHAR, FieldType.NUMBER, FieldType.MONEY) and self.length is None:
            raise ValueError(f"信息项 {self.name}：{kind.value} 类型必须填写长度")
        top = MAX_LENGTH.get(kind)
        if top is not None and self.length is not None and self.length > top:
            raise ValueError(f"信息项 {self.name}：{kind.value} 类型长度不能超过 {top}")
        if self.precision is not None:
            if kind not in (FieldType.NUMBER, FieldType.MONEY, FieldType.FLOAT):
                raise ValueError(f"信息项 {self.name}：只有数值、货币、浮点型可以填写精度")
            if self.length is not None and self.precision >= self.length:
                raise ValueError(f"信息项 {self.name}：精度必须小于长度")
        if self.is_key and kind is FieldType.MEMO:
            raise ValueError(f"信息项 {self.name}：备注型不能作为主键")
        if self.is_lookup and not self.is_key and self.masking_rule in NOT_UNIQUE_RULES:
            raise ValueError(f"信息项 {self.name}：姓名、地址不唯一，不能单独作为查询项，"
                             "请在“组合查询项”中与其他信息项组合使用（如 xm+csrq）")
        return self


class EntryBase(BaseModel):
    """Declared in dependency order: a validator may read the items declared before it."""

    # Defaults are validated too: an omitted share condition must still be caught.
    model_config = ConfigDict(str_strip_whitespace=True, validate_default=True)

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    summary: Text = ""
    category: ResourceCategory
    category_code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=CATEGORY_CODE)]
    format: ResourceFormat
    published_on: IsoDate | None = None
    related_codes: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]] = []
    share_type: ShareType
    share_condition: Text = ""
    share_method: ShareMethod = ShareMethod.INTERFACE
    legal_basis: Text = ""
    open_type: OpenType
    open_condition: Text = ""
    update_cycle: UpdateCycle
    ingest_mode: IngestMode
    security_class: SecurityClass = SecurityClass.GENERAL
    is_classified: bool = False  # 涉密声明: refused by the service (第二十三条)
    recollection_basis: Text = ""  # why collect what another unit already shares (第九条)
    fields: list[FieldIn] = Field(min_length=1, max_length=500)
    key_fields: list[str] = []  # another way to name the key fields; each must be one of `fields`
    # Lookup fields that are not unique (姓名) are used only together: [["xm", "csrq"]] (第十三条).
    lookup_combinations: list[list[str]] = Field(default=[], max_length=20)

    @field_validator("related_codes")
    @classmethod
    def _no_blank_codes(cls, codes: list[str]) -> list[str]:
        return [c for c in codes if c]

    @field_validator("category_code")
    @classmethod
    def _code_fits_category(cls, code: str, info: ValidationInfo) -> str:
        category = info.data.get("category")
        if category is not None and not code.startswith(CATEGORY_DIGIT[category]):
            raise ValueError(f"分类代码 {code} 与信息资源分类不一致（应以 {CATEGORY_DIGIT[category]} 开头）")
        return code

    @field_validator("share_condition")
    @classmethod
    def _condition_needed(cls, text: str, info: ValidationInfo) -> str:
        if info.data.get("share_type") not in (None, ShareType.UNCONDITIONAL) and not text:
            raise ValueError("有条件共享、暂不共享必须填写共享条件")
        return text

    @field_validator("legal_basis")
    @classmethod
    def _basis_needed(cls, text: str, info: ValidationInfo) -> str:
        if info.data.get("share_type") not in (None, ShareType.UNCONDITIONAL) and not text:
            raise ValueError("有条件共享、暂不共享必须填写法律、法规或国家政策依据")
        return text

    @field_validator("open_condition")
    @classmethod
    def _open_condition_needed(cls, text: str, info: ValidationInfo) -> str:
        if info.data.get("open_type") is OpenType.AUTHORIZED and not text:
            raise ValueError("授权开放必须填写开放条件")
        return text

    @field_validator("fields")
    @classmethod
    def _unique_names(cls, fields: list[FieldIn]) -> list[FieldIn]:
        seen: set[str] = set()
        for f in fields:
            if f.name in seen:
                raise ValueError(f"信息项名称重复：{f.name}")
            seen.add(f.name)
        return fields

    @field_validator("key_fields")
    @classmethod
    def _keys_are_fields(cls, keys: list[str], info: ValidationInfo) -> list[str]:
        fields: list[FieldIn] | None = info.data.get("fields")
        if fields is None:  # the fields themselves were wrong; that error is reported
            return keys
        names = {f.name for f in fields}
        for key in keys:
            if key not in names:
                raise ValueError(f"主键 {key} 不是本资源的信息项")
        if not keys and not any(f.is_key for f in fields):
            raise ValueError("至少需要一个主键信息项")
        return keys

    @field_validator("lookup_combinations")
    @classmethod
    def _combinations_of_fields(cls, groups: list[list[str]], info: ValidationInfo) -> list[list[str]]:
        fields: list[FieldIn] | None = info.data.get("fields")
        if fields is None:
            return groups
        names = {f.name for f in fields}
        kept: list[list[str]] = []
        for group in groups:
            members = list(dict.fromkeys(n.strip() for n in group if n.strip()))
            if not 2 <= len(members) <= 4:
                raise ValueError("每个组合查询须由 2 至 4 个不同的信息项组成")
            unknown = [n for n in members if n not in names]
            if unknown:
                raise ValueError(f"组合查询中的 {unknown[0]} 不是本资源的信息项")
            if members not in kept:
                kept.append(members)
        return kept

    @model_validator(mode="after")
    def _mark_keys(self) -> EntryBase:
        for f in self.fields:
            if f.name in self.key_fields:
                f.is_key = True
            if f.is_key:
                f.is_required = True
        self.key_fields = [f.name for f in self.fields if f.is_key]
        return self

    @property
    def grade(self) -> SecurityLevel:
        """The entry's level: the highest of its fields'."""
        return max((f.security_level for f in self.fields), key=LEVEL_ORDER.index)


class EntryCreate(EntryBase):
    pass


class EntryUpdate(EntryBase):
    note: Text = ""  # why it changed, kept with the version


class FieldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    label: str
    data_type: str
    length: int | None
    precision: int | None
    is_key: bool
    is_lookup: bool
    is_required: bool
    description: str
    sensitivity: str
    masking_rule: str
    security_level: str


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str | None
    unit_id: int
    unit_code: str
    unit_name: str
    name: str
    summary: str
    category: str
    category_code: str
    format: str
    published_on: date | None
    related_codes: list[str]
    share_type: str
    share_condition: str
    share_method: str
    legal_basis: str
    open_type: str
    open_condition: str
    update_cycle: str
    ingest_mode: str
    security_class: str
    security_level: str
    recollection_basis: str
    status: str
    version: int
    has_pending_change: bool
    key_fields: list[str]
    lookup_combinations: list[list[str]]
    fields: list[FieldRead]
    created_at: Timestamp
    updated_at: Timestamp
    registered_at: Timestamp | None
    retired_at: Timestamp | None

    @classmethod
    def of(cls, entry: Any) -> EntryRead:
        data = {name: getattr(entry, name) for name in cls.model_fields
                if name not in ("unit_code", "unit_name", "related_codes", "key_fields", "fields",
                                "has_pending_change", "lookup_combinations")}
        return cls(**data, unit_code=entry.unit.code, unit_name=entry.unit.name,
                   related_codes=[c for c in entry.related_codes.split(",") if c],
                   key_fields=[f.name for f in entry.key_fields],
                   lookup_combinations=[list(group) for group in entry.combinations],
                   has_pending_change=bool(entry.pending_change),
                   fields=[FieldRead.model_validate(f) for f in entry.fields])


class EntrySummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str | None
    name: str
    unit_id: int
    unit_name: str
    region_name: str
    category: str
    format: str
    share_type: str
    open_type: str
    update_cycle: str
    status: str
    version: int
    updated_at: Timestamp


class FacetCount(BaseModel):
    value: str
    label: str
    count: int


class EntryPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[EntrySummary]
    facets: dict[str, list[FacetCount]]


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    created_at: Timestamp
    created_by: int | None
    diff: dict[str, Any]


class FilingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    entry_id: int
    entry_name: str
    unit_id: int
    kind: str
    reason: str
    legal_basis: str
    status: str
    submitted_at: Timestamp
    decided_at: Timestamp | None
    decision_note: str


class FilingDecision(BaseModel):
    accept: bool
    note: Text = ""

    @model_validator(mode="after")
    def _reason_when_rejected(self) -> FilingDecision:
        if not self.accept and not self.note:
            raise FieldProblem("退回备案必须说明理由", field="note")
        return self


class RetireIn(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ImportReport(BaseModel):
    created: int
    entry_ids: list[int]


PYDANTIC_ZH = {
    "missing": "必填项为空", "string_pattern_mismatch": "格式不正确", "string_too_long": "内容过长",
    "string_too_short": "不能为空", "too_short": "至少需要一项", "too_long": "项数过多",
    "greater_than_equal": "数值过小", "less_than_equal": "数值过大", "int_parsing": "应为整数",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）", "date_parsing": "应为日期（YYYY-MM-DD）",
    "enum": "不是可选值", "bool_parsing": "应为 是 或 否", "int_type": "应为整数",
}


def error_message(error: Any) -> str:
    """A pydantic error in Chinese: our own rule messages as they are, the built-in kinds translated."""
    if error.get("type") == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return PYDANTIC_ZH.get(str(error.get("type")), str(error.get("msg", "")))
