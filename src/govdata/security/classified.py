"""The classified-data guard (第二十三条): 涉密 data never enters the platform. Besides the catalog's refusal of an
entry declared 涉密, every row pushed or uploaded is scanned for a classification marking as documents carry it
— 绝密, 机密 or 秘密 followed by the star: "机密★", "秘密★10年", "绝密★长期" — and such a row is refused, naming
its line and field. The word alone is running text, not a marking ("保守商业秘密的义务", "机密文件管理办法"),
and passes.

What counts as a marking (decided here): the level, then the star, with any white space (ASCII or the
full-width U+3000) between and inside ("机 密 ★"), the star solid ★ or outlined ☆ (typed by mistake or by a
font without the solid one). An ASCII "*" does not count: masked values are full of it ("秘**"). A marking
quoted inside a sentence ("标有机密★的文件") is refused too: the scan cannot tell a quotation from a
document's own marking, and a false refusal costs an upload, a missed one a leak.

Cost on the ingest hot path (benched): a block's text column is joined once and searched for the two stars
(`in`, C speed); the regular expression runs only on a column where a star appears, and then only on its values
that hold one. Fields declared shorter than a marking (性别, 民族 codes) are not scanned. Measured on the demo
person row (8 fields, 5 scanned), CPU time, best of several runs on a shared 2-core machine: about 0.2 µs a
row, against about 0.65 µs for the loader's own column checks and about 3.8 µs for a whole SQLite load of
50,000 rows through `datastore.service.load_rows` (so about 5 % of a load; the whole-load comparison itself
stayed within its run-to-run noise). `tests/security/test_classified_guard.py::test_the_guard_costs_little`
holds it under three quarters of the column checks. Nearly all of it is the join, which the text converter's
NUL scan already makes once per column: sharing that one join would make the guard almost free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from govdata import hooks

STARS = ("★", "☆")
_SPACE = r"[\s\u3000]*"
MARKING = re.compile(rf"(?:绝{_SPACE}密|机{_SPACE}密|秘{_SPACE}密){_SPACE}[★☆]")
TEXT_TYPES = frozenset({"C", "M"})  # 字符型, 备注型: the only values that can carry a marking once typed
MIN_LENGTH = 3  # "秘密★", the shortest marking: a field declared shorter cannot hold one (its length is checked)


def find_marking(value: object) -> str | None:
    """The classification marking in `value` ("机密★"), or None (no star: no regular expression at all)."""
    if value.__class__ is not str:
        return None
    text: str = value  # type: ignore[assignment]
    if "★" not in text and "☆" not in text:
        return None
    found = MARKING.search(text)
    return found.group(0) if found else None


def message(marking: str) -> str:
    return f"含涉密标志“{marking}”：涉密数据不得进入平台（第二十三条），本行已拒收"


def _has_star(values: Sequence[Any]) -> bool:
    """Whether any value of a column holds a star: its texts joined once (a text field's values are texts or
    None, which the filter drops with the empty ones) and searched twice."""
    try:
        joined = "".join(filter(None, values))
    except TypeError:  # a value that is not text (a caller's own validator columns): the texts alone
        joined = "".join([v for v in values if v.__class__ is str])
    return "★" in joined or "☆" in joined


class ClassifiedGuard:
    """A row validator (`hooks.BlockValidator`) over an entry's text fields."""

    __slots__ = ("names",)

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)

    def __call__(self, row: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = []
        for name in self.names:
            marking = find_marking(row.get(name))
            if marking is not None:
                problems.append((name, message(marking)))
        return problems

    def check_columns(self, columns: Mapping[str, Sequence[Any]], size: int) -> dict[int, tuple[str, str]]:
        first: dict[int, tuple[str, str]] = {}
        for name in self.names:
            values = columns[name]
            if not _has_star(values):  # the usual column: one search, no regular expression
                continue
            for i, value in enumerate(values):
                marking = find_marking(value)
                if marking is not None and i not in first:
                    first[i] = (name, message(marking))
        return first


WITHHELD = "（含涉密标志，原值未保存）"


@hooks.register_reject_scrubber
def withhold_marked(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """A refused row keeps no value that carries a marking: 涉密 data does not stay on the platform even as a
    rejected row (its report names the line, the field and the marking)."""
    if not any(find_marking(value) for value in raw.values()):
        return None
    return {name: WITHHELD if find_marking(value) else value for name, value in raw.items()}


@hooks.register_validator_factory
def classified_guard(db: Session, entry: Any) -> ClassifiedGuard | None:
    """Every entry with a text field gets the guard (whatever its quality rules)."""
    names = [f.name for f in entry.fields
             if f.data_type in TEXT_TYPES and (f.length is None or f.length >= MIN_LENGTH)]
    return ClassifiedGuard(names) if names else None
