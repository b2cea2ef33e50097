"""A field's converter (`convert.converter`) applied to a whole column of a block at once, for the ingest hot path.

Text goes by C-level passes (strip, NUL scan, lengths), every other type once per distinct value (a column of birth
dates holds a few thousand distinct values in a million rows); anything unusual falls back to one call per value
(`each_value`), so both give the same values and the same messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from govdata.catalog.models import Field, FieldType
from govdata.datastore.convert import HAS_NUL, NUL, Converter, ConvertError, converter

# (values of one column, every value is known to be text)
#   -> (converted values, position -> message, how many converted values are None)
ColumnConverter = Callable[[Sequence[Any], bool], tuple[list[Any], dict[int, str], int]]


def each_value(convert: Converter, values: Sequence[Any]) -> tuple[list[Any], dict[int, str], int]:
    """A column converted one value at a time: the reference the faster column paths agree with."""
    out: list[Any] = []
    bad: dict[int, str] = {}
    for i, value in enumerate(values):
        try:
            out.append(convert(value))
        except ConvertError as exc:
            bad[i] = str(exc)
            out.append(None)
    return out, bad, out.count(None)


_NONE = type(None)
# Columns where equal values always convert alike: one type besides None (1 == 1.0 == True otherwise).
_DISTINCT_TYPES = ({str, _NONE}, {int, _NONE}, {float, _NONE})


def _text_column(limit: int | None, one: Converter) -> ColumnConverter:
    def convert(values: Sequence[Any], text: bool) -> tuple[list[Any], dict[int, str], int]:
        if not text:
            kinds = set(map(type, values))
            if not kinds <= {str, _NONE}:
                return each_value(one, values)
            if _NONE in kinds:
                values = ["" if value is None else value for value in values]
        # Three passes over the strings (they are scattered in memory: each visit costs a cache miss): strip,
        # the NUL scan, lengths; the rest works on the list of lengths.
        out: list[Any] = list(map(str.strip, values))
        bad: dict[int, str] = {}
        if NUL in "\x01".join(out):  # one C-speed scan; a column with a NUL is then read value by value
            for i, value in enumerate(out):
                if NUL in value:
                    bad[i] = HAS_NUL
                    out[i] = ""
        lengths = list(map(len, out))
        if limit is not None and lengths and max(lengths) > limit:
            for i, size in enumerate(lengths):
                if size > limit:
                    bad[i] = f"长度 {size} 超过上限 {limit}"
                    out[i] = ""
                    lengths[i] = 0
        nulls = lengths.count(0)
        if nulls:
            out = [value or None for value in out]
        return out, bad, nulls

    return convert


def _distinct_column(one: Converter) -> ColumnConverter:
    def convert(values: Sequence[Any], text: bool) -> tuple[list[Any], dict[int, str], int]:
        if not text and set(map(type, values)) | {_NONE} not in _DISTINCT_TYPES:
            return each_value(one, values)
        converted: dict[Any, Any] = {}
        wrong: dict[Any, str] = {}
        for value in set(values):
            try:
                converted[value] = one(value)
            except ConvertError as exc:
                converted[value] = None
                wrong[value] = str(exc)
        out = list(map(converted.__getitem__, values))
        bad = {i: wrong[v] for i, v in enumerate(values) if v in wrong} if wrong else {}
        nulls = out.count(None) if None in converted.values() else 0
        return out, bad, nulls

    return convert


def column_converter(field: Field, *, sqlite: bool) -> ColumnConverter:
    """The converter of one field applied to a column (see the module's docstring)."""
    one = converter(field, sqlite=sqlite)
    kind = FieldType(field.data_type)
    if kind is FieldType.CHAR:
        return _text_column(field.length or 255, one)
    if kind is FieldType.MEMO:
        return _text_column(None, one)
    return _distinct_column(one)
