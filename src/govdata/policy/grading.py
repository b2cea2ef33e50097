"""分类分级 that decides (第二十一条): what an entry's grade (核心 / 重要 / 一般) and its fields' levels (L1–L4)
require of every request, grant and export. Pure functions of the stored grade and levels, so that the sharing
flow, the grant, the export gate and the catalog page all read one answer and the page can say why.

- 核心数据: the bureau (or county office) reviews every request, 无条件共享 included (`needs_review`).
- L3 / L4 fields leave masked by default; a provider's opinion may give them in clear only with a reason
  (`needs_clear_reason`); a field's own rule cannot state `clear` for them (masking.rules fails closed).
- Daily quotas default by grade (`daily_quota`): the consumer's stated daily volume, capped by the grade.
- An export whose file holds L4 values in clear needs a second person's approval (`export_l4_fields`).

Grades and levels are compared as the catalog stores them (`catalog.models.SecurityClass`/`SecurityLevel`
values); an unknown grade counts as core and an unknown level as L4 (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

CORE, IMPORTANT, GENERAL = "core", "important", "general"
MASKED_LEVELS = frozenset({"L3", "L4"})  # masked unless a grant gives them in clear with a reason
SECOND_PERSON_LEVELS = frozenset({"L4"})  # exported in clear only after another person approved
KNOWN_LEVELS = frozenset({"L1", "L2", "L3", "L4"})
MIN_REASON = 4  # characters of a reason for giving L3/L4 values in clear: "工作需要" is the least that says why

# Why each rule applies, as the catalog page shows it.
CORE_REVIEW = "核心数据：每次申请须经大数据局审核（第二十一条）"
L4_NOTE = "L4：默认脱敏；导出须经第二人审批"
L3_NOTE = "L3：默认脱敏；明文提供须说明理由"


@dataclass(frozen=True)
class QuotaCaps:
    """Calls a day one grant may make at most, by grade (`Settings.grade_quota_*`)."""

    core: int = 1_000
    important: int = 10_000
    general: int = 100_000

    def cap(self, grade: str) -> int:
        if grade == GENERAL:
            return self.general
        if grade == IMPORTANT:
            return self.important
        return self.core  # core, or a grade this module does not know: the tightest


class Graded(Protocol):
    @property
    def security_class(self) -> str: ...
    @property
    def share_type(self) -> str: ...


class Leveled(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def security_level(self) -> str: ...


def is_core(entry: Graded) -> bool:
    return entry.security_class not in (IMPORTANT, GENERAL)


def needs_review(entry: Graded) -> bool:
    """Whether a request for `entry` goes through the provider's opinion and the bureau's review: 有条件共享
    always (第十二条), and core data whatever its share type (第二十一条)."""
    return entry.share_type != "unconditional" or is_core(entry)


def level_of(field: Leveled) -> str:
    return field.security_level if field.security_level in KNOWN_LEVELS else "L4"


def is_masked_by_default(level: str) -> bool:
    """L3 and L4 (and an unknown level) never leave in clear by a field's own rule."""
    return level not in KNOWN_LEVELS or level in MASKED_LEVELS


def needs_clear_reason(fields: Iterable[Leveled], chosen: Iterable[str]) -> list[str]:
    """The fields of `chosen` (names) that are L3/L4: giving them in clear needs a reason."""
    wanted = set(chosen)
    return [f.name for f in fields if f.name in wanted and is_masked_by_default(level_of(f))]


def check_clear_reason(fields: Iterable[Leveled], chosen: Iterable[str], reason: str) -> str | None:
    """The message when L3/L4 fields are chosen in clear without a reason (None: nothing to object to)."""
    protected = needs_clear_reason(fields, chosen)
    if protected and len(reason.strip()) < MIN_REASON:
        return f"信息项 {'、'.join(protected)} 为 L3/L4 级，默认脱敏；明文提供须说明理由（至少 {MIN_REASON} 个字）"
    return None


def daily_quota(entry: Graded, requested: int, caps: QuotaCaps) -> int:
    """A grant's calls a day: what the consumer said it needs, no more than its grade allows."""
    return max(1, min(requested, caps.cap(entry.security_class)))


def export_l4_fields(fields: Iterable[Leveled], clear: frozenset[str] | None) -> list[str]:
    """The L4 fields (names) whose values an export would hand over in clear (`clear`: the fields the exporter
    sees in clear, None: all): such a file is made only after a second person approved it."""
    return [f.name for f in fields
            if level_of(f) in SECOND_PERSON_LEVELS and (clear is None or f.name in clear)]


def entry_reasons(entry: Graded, caps: QuotaCaps) -> list[str]:
    """Why the rules that apply to `entry` apply, one line each, for its catalog page."""
    grade = entry.security_class
    lines = [CORE_REVIEW] if is_core(entry) else []
    label = {CORE: "核心数据", IMPORTANT: "重要数据", GENERAL: "一般数据"}.get(grade, "核心数据")
    lines.append(f"{label}：每个访问权限每日调用上限默认 {caps.cap(grade):,} 次（第二十一条）")
    return lines


def field_reason(field: Leveled) -> str:
    """Why a field leaves as it does by its level ("" for L1/L2: its masking rule alone decides)."""
    level = level_of(field)
    if level in SECOND_PERSON_LEVELS:
        return L4_NOTE
    if level in MASKED_LEVELS:
        return L3_NOTE
    return ""


def caps_from(settings: Any) -> QuotaCaps:
    """The caps a `Settings` holds (its `grade_quota_*`)."""
    return QuotaCaps(core=settings.grade_quota_core, important=settings.grade_quota_important,
                     general=settings.grade_quota_general)
