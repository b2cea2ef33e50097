"""Reading .xlsx files people upload (catalog import, datastore upload) in bounded memory, refusing bombs.

An .xlsx is a zip of XML parts. A few MB of zip can hold hundreds of MB of XML, and openpyxl, even in
read-only mode, keeps every shared string as its own `str` and every parsed row's element in the tree
until the part ends: a 4.2 MB upload took the server from 271 MB to 706 MB and kept it there; 5 million
shared strings (114 MB of XML) took 792 MB and 76 s before the first row. So the parts are read here:

- The zip's directory is checked before anything is parsed: the expanded parts together may not exceed
  the limit (setting `GOVDATA_MAX_XLSX_EXPANDED_BYTES`, default 256 MiB) nor 100 times the compressed
  size. The directory can lie, so every byte inflated is counted as well, and reading stops at the limit
  (Python's zipfile also stops at a member's declared size; the count does not rely on that).
- Every part is parsed as a stream (iterparse), each element dropped as soon as it has been read: one
  row, or one shared string, is held at a time, and a row of more than 16,384 cells (Excel's widest) or
  an element with an absurd number of children is refused.
- Shared strings are kept packed: 4,096 at a time joined into one `str`, with 4-byte offsets, so the
  table costs about its text (at most the limit) instead of ~60 bytes of object per string.

Cell values follow openpyxl's reading (numbers, dates by the cell's number format, booleans, inline
and rich text, formula cells flagged), with openpyxl's own date helpers.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, iterparse

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601

from govdata.errors import PayloadTooLarge, RuleViolation

DEFAULT_MAX_EXPANDED = 256 * 1024 * 1024
MAX_RATIO = 100
MAX_COLUMNS = 16_384  # Excel's last column, XFD
READ_SIZE = 64 * 1024
_MB = 1024 * 1024
_BROKEN = "不是有效的 XLSX 文件（文件损坏或已截断），请用 Excel 另存为 .xlsx 后再上传"


class WorkbookTooLarge(PayloadTooLarge):
    """The workbook expands beyond the limit (413): a zip bomb, or a file to be split."""


class UnreadableWorkbook(RuleViolation):
    """The file is not a workbook that can be read (422)."""


@dataclass
class Row:
    number: int  # the sheet's row number, from 1
    values: list[Any]  # by column from A; None where empty
    formulas: list[int] = field(default_factory=list)  # 0-based columns holding a formula


def check_directory(archive: zipfile.ZipFile, limit: int) -> None:
    """Refuse from the zip's directory, before any part is inflated."""
    infos = archive.infolist()
    expanded = sum(i.file_size for i in infos)
    compressed = max(sum(i.compress_size for i in infos), 1)
    if expanded > limit:
        raise WorkbookTooLarge(f"XLSX 文件解压后达 {expanded / _MB:.0f} MB，超过上限 {limit / _MB:.0f} MB"
                               "（疑为压缩炸弹），已拒绝；内容确实这么多时请拆分为几个文件上传", field="file")
    if expanded / compressed > MAX_RATIO:
        raise WorkbookTooLarge(f"XLSX 文件压缩比达 {expanded // compressed} 倍（解压后 {expanded / _MB:.1f} MB），"
                               "疑为压缩炸弹，已拒绝", field="file")


class Budget:
    """Bytes that may still be inflated, over all the parts of one workbook."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise WorkbookTooLarge(f"XLSX 文件实际解压内容超过上限 {self.limit / _MB:.0f} MB（文件目录所记大小不实，"
                                   "疑为压缩炸弹），已拒绝", field="file")


class Counted:
    """A part of the zip as the XML parser reads it: in chunks, each counted against the budget."""

    def __init__(self, stream: IO[bytes], budget: Budget) -> None:
        self._stream = stream
        self._budget = budget

    def read(self, size: int = READ_SIZE) -> bytes:
        try:  # never the whole part at once, even when asked for "all"
            data = self._stream.read(size if 0 <= size <= READ_SIZE else READ_SIZE)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise UnreadableWorkbook(_BROKEN, field="file") from exc
        self._budget.take(len(data))
        return data

    def close(self) -> None:
        self._stream.close()


def _walk(source: Counted, units: Mapping[str, int]) -> Iterator[tuple[str, Element]]:
    """(local name, element) of each element at its end, dropped from the tree once the caller has it.

    An element named in `units` (a row, a shared string) is handed over whole, with its children; it may
    hold at most `units[name]` elements. Everything else is handed over as it ends, without children kept.
    """
    names: dict[str, str] = {}
    stack: list[Element] = []
    depth = held = cap = 0  # depth inside the current unit (0: outside any)
    try:
        for event, elem in iterparse(source, events=("start", "end")):
            if depth:
                if event == "start":
                    depth += 1
                    held += 1
                    if held > cap:
                        raise UnreadableWorkbook(f"XLSX 文件中一个元素含有超过 {cap} 个子元素，无法读取", field="file")
                    continue
                depth -= 1
                if depth:
                    continue
            elif event == "start":
                name = names.get(elem.tag) or names.setdefault(elem.tag, elem.tag.rpartition("}")[2])
                if name in units:
                    depth, held, cap = 1, 0, units[name]
                else:
                    stack.append(elem)
                continue
            else:
                stack.pop()
            yield names[elem.tag], elem
            if stack:
                stack[-1].remove(elem)  # its only child left: the siblings before it went the same way
    except ParseError as exc:
        raise UnreadableWorkbook(_BROKEN, field="file") from exc


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(elem: Element) -> str:
    """A shared or inline string: its plain text and its rich-text runs (phonetic guides left out)."""
    parts = []
    for child in elem:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts).replace("x005F_", "")  # as openpyxl reads them


class SharedStrings:
    """The workbook's shared strings, packed: `CHUNK` strings joined into one str, with their offsets."""

    CHUNK = 4096

    def __init__(self) -> None:
        self._chunks: list[str] = []
        self._offsets: list[array[int]] = []
        self._pending: list[str] = []

    def add(self, text: str) -> None:
        self._pending.append(text)
        if len(self._pending) == self.CHUNK:
            self._pack()

    def _pack(self) -> None:
        if self._pending:
            self._chunks.append("".join(self._pending))
            self._offsets.append(array("I", accumulate(map(len, self._pending), initial=0)))
            self._pending = []

    def finish(self) -> SharedStrings:
        self._pack()
        return self

    def __getitem__(self, index: int) -> str:
        chunk, at = divmod(index, self.CHUNK)
        if index < 0 or chunk >= len(self._chunks) or at + 1 >= len(self._offsets[chunk]):
            raise IndexError(index)
        offsets = self._offsets[chunk]
        return self._chunks[chunk][offsets[at]:offsets[at + 1]]


def _column(ref: str) -> int:
    """The column number of a cell reference ("AB12" → 28); 0 when it has no letters."""
    number = 0
    for char in ref:
        code = ord(char) - 64
        if not 1 <= code <= 26:
            break
        number = number * 26 + code
    return number


def _resolve(base: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))


class Workbook:
    """An open .xlsx: its sheet names and, sheet by sheet, its rows as a stream."""

    def __init__(self, archive: zipfile.ZipFile, budget: Budget) -> None:
        self._archive = archive
        self._names = set(archive.namelist())
        self._budget = budget
        self._epoch = WINDOWS_EPOCH
        self._sheets: dict[str, str] = {}  # name → part, in the workbook's order
        self._dates: set[int] = set()  # styles whose number format is a date …
        self._durations: set[int] = set()  # … or a duration
        self._strings = SharedStrings()
        self._read_workbook()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._archive.close()

    @property
    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    def _part(self, name: str, units: Mapping[str, int] | None = None) -> Iterator[tuple[str, Element]]:
        try:
            stream = self._archive.open(name)
        except KeyError:
            raise UnreadableWorkbook(f"{_BROKEN}（缺少 {name}）", field="file") from None
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError, RuntimeError) as exc:
            raise UnreadableWorkbook(_BROKEN, field="file") from exc
        counted = Counted(stream, self._budget)
        try:
            yield from _walk(counted, units or {})
        finally:
            counted.close()

    def _relations(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type, part path) of a part."""
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", name + ".rels")
        if rels not in self._names:
            return {}
        base = posixpath.dirname(part)
        return {e.get("Id", ""): (e.get("Type", ""), _resolve(base, e.get("Target", "")))
                for tag, e in self._part(rels) if tag == "Relationship"}

    def _read_workbook(self) -> None:
        root = self._relations("")
        main = next((path for kind, path in root.values() if kind.endswith("/officeDocument")), "xl/workbook.xml")
        relations = self._relations(main)
        for tag, elem in self._part(main):
            if tag == "workbookPr" and elem.get("date1904") in ("1", "true"):
                self._epoch = CALENDAR_MAC_1904
            elif tag == "sheet":
                rid = next((v for k, v in elem.attrib.items() if k.endswith("}id")), "")
                kind, path = relations.get(rid, ("", ""))
                if kind.endswith("/worksheet") and path in self._names:
                    self._sheets[elem.get("name", "")] = path
        for kind, path in relations.values():
            if kind.endswith("/styles"):
                self._read_styles(path)
            elif kind.endswith("/sharedStrings"):
                self._read_strings(path)

    def _read_styles(self, part: str) -> None:
        formats: dict[int, str] = {}
        for tag, elem in self._part(part, {"cellXfs": 1_000_000}):
            if tag == "numFmt":
                formats[_int(elem.get("numFmtId"))] = elem.get("formatCode", "")
            elif tag == "cellXfs":
                for index, xf in enumerate(elem):
                    code = formats.get(_int(xf.get("numFmtId")), BUILTIN_FORMATS.get(_int(xf.get("numFmtId"))))
                    if is_date_format(code):
                        self._dates.add(index)
                    if is_timedelta_format(code):
                        self._durations.add(index)

    def _read_strings(self, part: str) -> None:
        for tag, elem in self._part(part, {"si": 100_000}):
            if tag == "si":
                self._strings.add(_text(elem))
        self._strings.finish()

    def rows(self, sheet: str | None = None) -> Iterator[Row]:
        """The rows that hold something, in order; the first sheet when none is named."""
        if not self._sheets:
            raise UnreadableWorkbook("XLSX 文件中没有工作表", field="file")
        part = self._sheets[sheet] if sheet is not None else next(iter(self._sheets.values()))
        number = 0
        for tag, elem in self._part(part, {"row": 8 * MAX_COLUMNS}):
            if tag == "row":
                number = _int(elem.get("r"), number + 1)
                yield self._row(number, elem)

    def _row(self, number: int, elem: Element) -> Row:
        row = Row(number, [])
        column = 0
        for cell in elem:
            if _local(cell.tag) != "c":
                continue
            ref = cell.get("r")
            column = _column(ref) if ref else column + 1
            if not 1 <= column <= MAX_COLUMNS:
                raise UnreadableWorkbook(f"第 {number} 行：单元格位置“{ref}”无效（最多 {MAX_COLUMNS} 列）",
                                         field="file")
            value, is_formula = self._cell(cell, number)
            if value is None and not is_formula:
                continue
            missing = column - 1 - len(row.values)
            if missing >= 0:
                row.values.extend([None] * missing)
                row.values.append(value)
            else:
                row.values[column - 1] = value
            if is_formula:
                row.formulas.append(column - 1)
        return row

    def _cell(self, cell: Element, number: int) -> tuple[Any, bool]:
        kind = cell.get("t", "n")
        raw: str | None = None
        inline: Element | None = None
        is_formula = False
        for part in cell:
            name = _local(part.tag)
            if name == "v":
                raw = part.text
            elif name == "f":
                is_formula = True
            elif name == "is":
                inline = part
        if kind == "inlineStr":
            return (_text(inline) if inline is not None else None), is_formula
        if not raw:
            return None, is_formula
        try:
            return self._value(kind, raw, _int(cell.get("s"))), is_formula
        except (ValueError, IndexError):
            raise UnreadableWorkbook(f"第 {number} 行 {cell.get('r') or ''}：单元格内容“{raw[:20]}”无法读取",
                                     field="file") from None

    def _value(self, kind: str, raw: str, style: int) -> Any:
        if kind == "n":
            number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
            if style in self._dates:
                try:
                    return from_excel(number, self._epoch, timedelta=style in self._durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"  # a date format on a number no calendar has: as openpyxl reads it
            return number
        if kind == "s":
            return self._strings[int(raw)]
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            return from_ISO8601(raw)
        return raw  # "str" (a formula's text result), "e" (an error such as #N/A)


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def open_workbook(source: Path | bytes | IO[bytes], *, limit: int = DEFAULT_MAX_EXPANDED) -> Workbook:
    """Open an .xlsx (a path, its bytes or a seekable file), refusing a zip bomb before anything is parsed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableWorkbook(_BROKEN, field="file") from exc
    try:
        check_directory(archive, limit)
        return Workbook(archive, Budget(limit))
    except BaseException:
        archive.close()
        raise
