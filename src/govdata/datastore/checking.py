"""Checking received rows chunk by chunk: types, required and key fields, duplicates, validators.

A chunk is checked without touching the database, so the loader can check the next chunk in a
thread while the current one is written (the SQLite and psycopg drivers release the GIL while the
database works). Validators registered by other domains must therefore be pure functions of the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from govdata.catalog.models import CatalogEntry
from govdata.datastore.convert import Converter, ConvertError, converter, python_reader
from govdata.hooks import RowValidator

DELETE_FLAG = "_delete"
TRUTHY = {True, "1", "true", "True", "TRUE", "是", "y", "Y"}

# One received row: (line number, raw values in field order, is a delete, a problem found while reading).
Prepared = tuple[int, Sequence[Any], bool, tuple[str, str] | None]


@dataclass
class Problem:
    line: int
    field: str
    reason: str
    raw: dict[str, Any]


@dataclass
class CheckedChunk:
    rows: dict[tuple[Any, ...], tuple[int, tuple[Any, ...], bool]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    total: int = 0


class RowChecker:
    def __init__(self, entry: CatalogEntry, *, sqlite: bool, validators: Sequence[RowValidator] = ()) -> None:
        self.fields = list(entry.fields)
        self.names = [f.name for f in self.fields]
        self.converters: list[Converter] = [converter(f, sqlite=sqlite) for f in self.fields]
        self.key_pos = [i for i, f in enumerate(self.fields) if f.is_key]
        self.required = [i for i, f in enumerate(self.fields) if f.is_key or f.is_required]
        self.validators = list(validators)
        self.labels = {f.name: f.label for f in self.fields}
        # Fields whose stored form differs from the Python value validators expect (SQLite dates etc.).
        self.to_python = [(i, f.name, python_reader(f)) for i, f in enumerate(self.fields)
                          if sqlite and f.data_type in ("D", "T", "N", "Y", "L")]

    def raw(self, values: Sequence[Any]) -> dict[str, Any]:
        return {name: values[i] if i < len(values) else None for i, name in enumerate(self.names)}

    def _convert(self, values: Sequence[Any], is_delete: bool) -> tuple[Any, ...]:
        converters = self.converters
        if is_delete:  # a delete needs its key only
            out: list[Any] = [None] * len(converters)
            for i in self.key_pos:
                out[i] = self._one(i, values[i])
        else:
            try:  # the hot path: one comprehension; which field failed is found again only for bad rows
                out = [convert(value) for convert, value in zip(converters, values, strict=True)]
            except ConvertError:
                out = [self._one(i, values[i]) for i in range(len(converters))]
        for i in self.required if not is_delete else self.key_pos:
            if out[i] is None:
                raise _FieldError(self.names[i], "不能为空" if i not in self.key_pos else "主键不能为空")
        return tuple(out)

    def _one(self, i: int, value: Any) -> Any:
        try:
            return self.converters[i](value)
        except ConvertError as exc:
            raise _FieldError(self.names[i], str(exc)) from exc

    def _validate(self, values: tuple[Any, ...]) -> tuple[str, str] | None:
        row = dict(zip(self.names, values, strict=True))
        for i, name, read in self.to_python:
            row[name] = read(values[i])
        for validator in self.validators:
            problems = validator(row)
            if problems:
                return problems[0]
        return None

    def check(self, chunk: Iterable[Prepared]) -> CheckedChunk:
        result = CheckedChunk()
        good = result.rows
        key_pos = self.key_pos
        single = key_pos[0] if len(key_pos) == 1 else None
        for line, values, is_delete, problem in chunk:
            result.total += 1
            if problem is None:
                try:
                    converted = self._convert(values, is_delete)
                except _FieldError as exc:
                    problem = (exc.field, exc.message)
                else:
                    if self.validators and not is_delete:
                        problem = self._validate(converted)
            if problem is not None:
                result.problems.append(Problem(line, problem[0], problem[1], self.raw(values)))
                continue
            key = (converted[single],) if single is not None else tuple(converted[i] for i in key_pos)
            first = good.get(key)
            if first is not None:
                result.problems.append(Problem(line, self.names[key_pos[0]],
                                               f"主键在本批中重复（与第 {first[0]} 行相同）", self.raw(values)))
                continue
            good[key] = (line, converted, is_delete)
        return result


class _FieldError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def prepare_mappings(entry: CatalogEntry, rows: Iterable[Any], *, first_line: int = 1) -> Iterator[Prepared]:
    """Mappings (pushed JSON objects, return-flow records) in field order; unknown keys are a problem."""
    names = [f.name for f in entry.fields]
    known = set(names) | {DELETE_FLAG}
    for line, row in enumerate(rows, start=first_line):
        yield prepare_one(names, known, line, row)


def prepare_one(names: list[str], known: set[str], line: int, row: Any) -> Prepared:
    if not isinstance(row, Mapping):
        return line, [None] * len(names), False, ("", "每条记录应为 JSON 对象")
    values = [row.get(n) for n in names]
    is_delete = row.get(DELETE_FLAG) in TRUTHY
    if len(row) > len(names) or not known.issuperset(row.keys()):
        unknown = sorted(str(k) for k in row if k not in known)
        if unknown:
            return line, values, is_delete, (unknown[0], f"未知字段 {unknown[0]}（不在目录信息项中）")
    return line, values, is_delete, None


def prepare_ndjson(entry: CatalogEntry, lines: Iterable[bytes]) -> Iterator[Prepared]:
    """One JSON object per line; a line that is not JSON is rejected on its own, with its number."""
    names = [f.name for f in entry.fields]
    known = set(names) | {DELETE_FLAG}
    for line, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = orjson.loads(raw)
        except orjson.JSONDecodeError:
            yield line, [None] * len(names), False, ("", "该行不是合法的 JSON（流可能被截断）")
            continue
        yield prepare_one(names, known, line, row)


def chunked(rows: Iterable[Prepared], size: int) -> Iterator[list[Prepared]]:
    chunk: list[Prepared] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
