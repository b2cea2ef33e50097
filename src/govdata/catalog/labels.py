"""Chinese labels of every catalog enum value, for pages, Excel and messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from govdata.catalog.models import (
    EntryStatus,
    FieldType,
    FilingKind,
    FilingStatus,
    IngestMode,
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

LABELS: dict[type[StrEnum], dict[str, str]] = {
    ResourceCategory: {"base": "基础信息资源", "topic": "主题信息资源", "department": "部门信息资源"},
    ResourceFormat: {"file": "电子文件", "spreadsheet": "电子表格", "database": "数据库", "image": "图形图像",
                     "stream": "流媒体", "self_describing": "自描述格式", "service": "服务接口"},
    ShareType: {"unconditional": "无条件共享", "conditional": "有条件共享", "not_shared": "暂不共享"},
    ShareMethod: {"interface": "接口", "file": "文件", "database": "数据库"},
    OpenType: {"public": "普遍开放", "authorized": "授权开放", "closed": "不予开放"},
    UpdateCycle: {"realtime": "实时", "daily": "每日", "weekly": "每周", "monthly": "每月", "quarterly": "每季度",
                  "half_yearly": "每半年", "yearly": "每年", "irregular": "不定期"},
    IngestMode: {"realtime": "实时汇聚", "return_flow": "回流", "manual": "人工上传"},
    SecurityClass: {"core": "核心数据", "important": "重要数据", "general": "一般数据"},
    SecurityLevel: {"L1": "L1 不敏感", "L2": "L2 低敏感", "L3": "L3 较敏感", "L4": "L4 敏感"},
    FieldType: {"C": "字符型C", "N": "数值型N", "Y": "货币型Y", "D": "日期型D", "T": "日期时间型T",
                "L": "逻辑型L", "M": "备注型M", "I": "整型I", "F": "浮点型F"},
    Sensitivity: {"none": "无", "personal": "个人信息", "commercial": "商业秘密"},
    EntryStatus: {"draft": "草稿", "submitted": "待备案审核", "registered": "已登记", "retired": "已撤销"},
    FilingKind: {"share_type": "共享类型备案", "non_realtime": "非实时汇聚备案"},
    FilingStatus: {"pending": "待审核", "accepted": "已通过", "rejected": "已退回"},
}

# Facet and form names → their enum, so templates can label any value by its field name.
BY_FIELD: dict[str, type[StrEnum]] = {
    "category": ResourceCategory, "format": ResourceFormat, "share_type": ShareType, "share_method": ShareMethod,
    "open_type": OpenType, "update_cycle": UpdateCycle, "ingest_mode": IngestMode,
    "security_class": SecurityClass, "security_level": SecurityLevel, "data_type": FieldType,
    "sensitivity": Sensitivity, "status": EntryStatus, "kind": FilingKind, "filing_status": FilingStatus,
}


def label(enum: type[StrEnum], value: str | None) -> str:
    if value is None:
        return ""
    return LABELS[enum].get(str(value), str(value))


def label_of(field_name: str, value: str | None) -> str:
    enum = BY_FIELD.get(field_name)
    if enum is None or value is None:
        return "" if value is None else str(value)
    return label(enum, value)


def value_of(enum: type[StrEnum], text: str) -> str | None:
    """The enum value whose label (or value) is `text`; None when nothing matches (Excel import)."""
    text = text.strip()
    for value, chinese in LABELS[enum].items():
        if text in (value, chinese):
            return value
    return None


def choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return list(LABELS[enum].items())


def field_list(labels: Mapping[str, str], names: Iterable[str]) -> str:
    """Fields as people and programs both read them: 公民身份号码（sfzh）、姓名（xm）."""
    return "、".join(f"{labels.get(n, n)}（{n}）" for n in names if n)
