"""Columns as PostgreSQL COPY text: each column made text as a whole (escaped only if it holds a tab, line end or
backslash; dates and numbers written once per distinct value), for the ingest writers to join in C."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from govdata.catalog.models import FieldType

NULL = "\\N"  # COPY text format
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
Cells = Callable[[Sequence[Any]], list[str]]


def text_cells(values: Sequence[Any]) -> list[str]:
    """A text column in COPY text format (escaped only when some value needs it)."""
    probe = "".join(filter(None, values))
    out = list(values)
    if "\\" in probe or "\t" in probe or "\n" in probe or "\r" in probe:
        out = [v if v is None else v.translate(ESCAPES) for v in out]
    if None in out:
        out = [NULL if v is None else v for v in out]
    return out


def _formatted(write: Callable[[Any], str]) -> Cells:
    """A typed column in COPY text format, each distinct value written once."""
    def cells(values: Sequence[Any]) -> list[str]:
        written = {v: NULL if v is None else write(v) for v in set(values)}
        return list(map(written.__getitem__, values))
    return cells


def _each(write: Callable[[Any], str]) -> Cells:
    """A column of values that may differ while comparing equal (-0.0 and 0.0), each written."""
    def cells(values: Sequence[Any]) -> list[str]:
        return [NULL if v is None else write(v) for v in values]
    return cells


def _iso_date(value: date) -> str:
    return value.isoformat()


def _iso_datetime(value: datetime) -> str:
    return value.isoformat(sep=" ")


def _bool(value: bool) -> str:
    return "t" if value else "f"


COPY_CELLS: dict[str, Cells] = {
    FieldType.CHAR.value: text_cells, FieldType.MEMO.value: text_cells,
    FieldType.DATE.value: _formatted(_iso_date), FieldType.DATETIME.value: _formatted(_iso_datetime),
    FieldType.NUMBER.value: _formatted(str), FieldType.MONEY.value: _formatted(str),
    FieldType.INT.value: _each(str), FieldType.FLOAT.value: _each(repr), FieldType.BOOL.value: _formatted(_bool),
}
