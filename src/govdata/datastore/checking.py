"""Checking received rows a block at a time: types, required and key fields, duplicates, validators.

A block is checked column by column: each field's column converter and each validator's column check
run over the whole block (C-level passes, once per distinct value where that is exact), and the first
problem of each bad row is the one the row-by-row check (`RowChecker.check_rows`, kept as the
reference and for blocks with deletes) names. A block is checked without touching the database, so
the loader can check the next block in a thread while the current one is written (the SQLite and
psycopg drivers release the GIL while the database works). Validators registered by other domains
must therefore be pure functions of the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import orjson

from govdata.catalog.models import CatalogEntry
from govdata.datastore.convert import Converter, ConvertError, converter, python_column, python_reader
from govdata.datastore.convert_columns import column_converter
from govdata.hooks import BlockValidator, RowValidator

DELETE_FLAG = "_delete"
TRUTHY = {True, "1", "true", "True", "TRUE", "是", "y", "Y"}

# One received row: (line number, raw values in field order, is a delete, a problem found while reading).
Prepared = tuple[int, Sequence[Any], bool, tuple[str, str] | None]
Key = tuple[Any, ...]


@dataclass
class Problem:
    line: int
    field: str
    reason: str
    raw: dict[str, Any]


@dataclass
class Block:
    """Consecutive received rows, held column by column: one list of raw values per field, in field order.

    Columns, not rows: a block of rows is tens of thousands of lists that live long enough to reach
    the garbage collector's oldest generation and make it walk the whole heap; a few columns do not.
    """

    columns: list[list[Any]]
    lines: Sequence[int]
    deletes: list[bool] | None = None  # None: no row of the block is a delete
    problems: dict[int, tuple[str, str]] | None = None  # position → problem found while reading
    text: bool = False  # every value is a str (a CSV file): no type sniffing needed

    @classmethod
    def of_rows(cls, rows: Sequence[Sequence[Any]], lines: Sequence[int], width: int, **kw: Any) -> Block:
        if rows and set(map(len, rows)) != {width}:
            raise ValueError("every row of a block has one value per field")
        columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]
        return cls(columns, lines, **kw)

    @property
    def size(self) -> int:
        return len(self.lines)

    def row(self, i: int) -> list[Any]:
        return [column[i] for column in self.columns]


@dataclass
class CheckedChunk:
    """The good rows of a block in storage form, column by column, and the problems of the others."""

    columns: list[list[Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    deletes: list[bool] | None = None
    problems: list[Problem] = field(default_factory=list)
    total: int = 0
    key_pos: list[int] = field(default_factory=list)
    payload: bytes | None = None  # the rows as COPY text, when the loader made it ahead (PostgreSQL)
    nulls: list[int] | None = None  # None values per column, when the checker counted them

    def rows(self) -> list[tuple[Any, ...]]:
        return list(zip(*self.columns, strict=True))

    def by_key(self) -> dict[Key, tuple[int, tuple[Any, ...], bool]]:
        """Key → (line, values, is a delete), in block order."""
        rows = self.rows()
        deletes = self.deletes or [False] * len(rows)
        key_pos = self.key_pos
        if len(key_pos) == 1:  # the usual single key: read from its column, no tuple made per row twice
            return {(key,): (line, values, is_delete) for key, line, values, is_delete
                    in zip(self.columns[key_pos[0]], self.lines, rows, deletes, strict=True)}
        return {tuple(values[i] for i in key_pos): (line, values, is_delete)
                for line, values, is_delete in zip(self.lines, rows, deletes, strict=True)}


class PythonColumns(Mapping[str, Sequence[Any]]):
    """A block's columns as validators expect them (dates as dates, numbers as Decimal), each made on use."""

    def __init__(self, names: list[str], columns: Sequence[Sequence[Any]],
                 readers: Mapping[int, Converter]) -> None:
        self.index = {name: i for i, name in enumerate(names)}
        self.columns = columns
        self.readers = readers
        self.made: dict[str, Sequence[Any]] = {}

    def __getitem__(self, name: str) -> Sequence[Any]:
        made = self.made.get(name)
        if made is None:
            i = self.index[name]  # KeyError for a name that is not a field, as a Mapping should
            read = self.readers.get(i)
            made = self.made[name] = self.columns[i] if read is None else python_column(read, self.columns[i])
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


class RowChecker:
    def __init__(self, entry: CatalogEntry, *, sqlite: bool, validators: Sequence[RowValidator] = ()) -> None:
        self.fields = list(entry.fields)
        self.names = [f.name for f in self.fields]
        self.converters: list[Converter] = [converter(f, sqlite=sqlite) for f in self.fields]
        self.column_converters = [column_converter(f, sqlite=sqlite) for f in self.fields]
        self.key_pos = [i for i, f in enumerate(self.fields) if f.is_key]
        self.required = [i for i, f in enumerate(self.fields) if f.is_key or f.is_required]
        self.validators = list(validators)
        self.block_validators = all(isinstance(v, BlockValidator) for v in self.validators)
        self.labels = {f.name: f.label for f in self.fields}
        # Fields whose stored form differs from the Python value validators expect (SQLite dates etc.).
        self.to_python = [(i, f.name, python_reader(f)) for i, f in enumerate(self.fields)
                          if sqlite and f.data_type in ("D", "T", "N", "Y", "L")]

    def raw(self, values: Sequence[Any]) -> dict[str, Any]:
        return {name: values[i] if i < len(values) else None for i, name in enumerate(self.names)}

    # -- a block, column by column ------------------------------------------------------------------

    def check(self, block: Block | Iterable[Prepared]) -> CheckedChunk:
        if not isinstance(block, Block):
            block = to_block(list(block), len(self.fields))
        if block.deletes is not None or not self.block_validators:
            return self.check_rows(block)
        total = block.size
        if len(block.columns) != len(self.fields) or any(len(c) != total for c in block.columns):
            raise ValueError("a block has one column per field and one value per row in each")
        first: dict[int, tuple[str, str]] = dict(block.problems or {})
        # Rows with a reading problem are left out before conversion (their values may be placeholders).
        todo = [i for i in range(total) if i not in first] if first else list(range(total))
        columns = block.columns if len(todo) == total else [[c[i] for i in todo] for c in block.columns]
        columns = list(columns)
        refused: set[int] = set()  # positions in `todo` of rows found bad
        nulls = [0] * len(columns)  # None values per column
        for j, convert in enumerate(self.column_converters):
            columns[j], bad, nulls[j] = convert(columns[j], block.text)
            for local, message in bad.items():
                first.setdefault(todo[local], (self.names[j], message))
            refused.update(bad)
        for j in self.required:
            if nulls[j]:
                message = "主键不能为空" if j in self.key_pos else "不能为空"
                for local, value in enumerate(columns[j]):
                    if value is None:
                        first.setdefault(todo[local], (self.names[j], message))
                        refused.add(local)
        todo, columns = _keep(todo, columns, refused)
        if self.validators and todo:
            python = PythonColumns(self.names, columns, {i: read for i, _name, read in self.to_python})
            refused = set()
            for validator in self.validators:
                found = validator.check_columns(python, len(todo))  # type: ignore[attr-defined]
                for local, problem in found.items():
                    first.setdefault(todo[local], problem)
                refused.update(found)
            todo, columns = _keep(todo, columns, refused)
        todo, columns = self._unique_keys(block, todo, columns, first)
        if len(todo) == total:
            lines = list(block.lines)
        else:  # rows were left out: count again where there were None values
            lines = [block.lines[i] for i in todo]
            nulls = [c.count(None) if n else 0 for c, n in zip(columns, nulls, strict=True)]
        return CheckedChunk(columns=columns, lines=lines, problems=self._problems(block, first),
                            total=total, key_pos=self.key_pos, nulls=nulls)

    def _unique_keys(self, block: Block, positions: list[int], columns: list[list[Any]],
                     first: dict[int, tuple[str, str]]) -> tuple[list[int], list[list[Any]]]:
        """Drop rows whose key an earlier good row of the block has, naming that row's line."""
        key_pos = self.key_pos
        keys: list[Any] = (columns[key_pos[0]] if len(key_pos) == 1
                           else list(zip(*(columns[i] for i in key_pos), strict=True)))
        if len(set(keys)) == len(keys):
            return positions, columns
        seen: dict[Any, int] = {}
        refused: set[int] = set()
        for local, key in enumerate(keys):
            earlier = seen.get(key)
            if earlier is None:
                seen[key] = block.lines[positions[local]]
            else:
                first[positions[local]] = (self.names[key_pos[0]], f"主键在本批中重复（与第 {earlier} 行相同）")
                refused.add(local)
        return _keep(positions, columns, refused)

    def _problems(self, block: Block, first: Mapping[int, tuple[str, str]]) -> list[Problem]:
        return [Problem(block.lines[i], name, message, self.raw(block.row(i)))
                for i, (name, message) in sorted(first.items())]

    # -- a block, row by row (deletes, and validators without a column form) -------------------------

    def check_rows(self, block: Block) -> CheckedChunk:
        result = CheckedChunk(key_pos=self.key_pos)
        good: dict[Key, tuple[int, tuple[Any, ...], bool]] = {}
        key_pos = self.key_pos
        single = key_pos[0] if len(key_pos) == 1 else None
        problems = block.problems or {}
        deletes = block.deletes
        for i, values in enumerate(zip(*block.columns, strict=True)):
            line = block.lines[i]
            is_delete = deletes[i] if deletes is not None else False
            problem = problems.get(i)
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
            earlier = good.get(key)
            if earlier is not None:
                result.problems.append(Problem(line, self.names[key_pos[0]],
                                               f"主键在本批中重复（与第 {earlier[0]} 行相同）", self.raw(values)))
                continue
            good[key] = (line, converted, is_delete)
        entries = list(good.values())
        result.lines = [line for line, _values, _delete in entries]
        result.columns = ([list(c) for c in zip(*(values for _line, values, _delete in entries), strict=True)]
                          if entries else [[] for _ in self.fields])
        if any(is_delete for _line, _values, is_delete in entries):
            result.deletes = [is_delete for _line, _values, is_delete in entries]
        return result

    def _convert(self, values: Sequence[Any], is_delete: bool) -> tuple[Any, ...]:
        converters = self.converters
        if is_delete:  # a delete needs its key only
            out: list[Any] = [None] * len(converters)
            for i in self.key_pos:
                out[i] = self._one(i, values[i])
        else:
            try:  # one comprehension; which field failed is found again only for bad rows
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


def _keep(positions: list[int], columns: list[list[Any]],
          refused: set[int]) -> tuple[list[int], list[list[Any]]]:
    """Positions and columns without the refused rows (given by their place in `positions`)."""
    if not refused:
        return positions, columns
    keep = [i for i in range(len(positions)) if i not in refused]
    return [positions[i] for i in keep], [[c[i] for i in keep] for c in columns]


class _FieldError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def to_block(rows: Sequence[Prepared], width: int) -> Block:
    """Prepared rows (line, values, is a delete, problem) as one block."""
    deletes = [is_delete for _line, _values, is_delete, _problem in rows]
    problems = {i: problem for i, (_line, _values, _delete, problem) in enumerate(rows) if problem is not None}
    return Block.of_rows([values for _line, values, _delete, _problem in rows],
                         [line for line, _values, _delete, _problem in rows], width,
                         deletes=deletes if any(deletes) else None, problems=problems or None)


def blocks(rows: Iterable[Prepared], size: int, width: int) -> Iterator[Block]:
    """Prepared rows cut into blocks of `size`."""
    for chunk in chunked(rows, size):
        yield to_block(chunk, width)


def prepare_mappings(entry: CatalogEntry, rows: Iterable[Any], *, first_line: int = 1) -> Iterator[Prepared]:
    """Mappings (pushed JSON objects, return-flow records) in field order; unknown keys are a problem."""
    names = [f.name for f in entry.fields]
    known = set(names) | {DELETE_FLAG}
    for line, row in enumerate(rows, start=first_line):
        yield prepare_one(names, known, line, row)


def mapping_blocks(entry: CatalogEntry, rows: Iterable[Any], size: int) -> Iterator[Block]:
    """Mappings in blocks of `size`, as `blocks(prepare_mappings(...))` cuts them.

    A chunk of plain dicts holding only field names (the usual pushed batch) goes straight into columns,
    one C-level pass per field; any other chunk is prepared row by row."""
    names = [f.name for f in entry.fields]
    fields = set(names)
    known = fields | {DELETE_FLAG}
    line = 1
    for chunk in chunked(rows, size):
        lines = range(line, line + len(chunk))
        if all(type(row) is dict for row in chunk) and fields.issuperset(set().union(*chunk)):
            yield Block([list(map(dict.get, chunk, repeat(name))) for name in names], lines)
        else:
            yield to_block([prepare_one(names, known, n, row) for n, row in zip(lines, chunk, strict=True)],
                           len(names))
        line += len(chunk)


def prepare_one(names: list[str], known: set[str], line: int, row: Any) -> Prepared:
    if not isinstance(row, Mapping):
        return line, [None] * len(names), False, ("", "每条记录应为 JSON 对象")
    values = list(map(row.get, names))
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


def chunked(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    if isinstance(rows, list):  # a parsed JSON array: slices, not an append per row
        for start in range(0, len(rows), size):
            yield rows[start:start + size]
        return
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
