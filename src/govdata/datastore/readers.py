"""Reading uploaded files into rows: CSV in UTF-8 (with or without BOM) or GB18030, and .xlsx.

Files are read from disk in a stream; nothing holds the whole file. Headers may be field names or
their Chinese labels; an unknown column stops the file with its name. The loader takes a CSV file in
blocks of columns (`read_file_blocks`), its text read in parts (`csvparts`): rows in field order, one
line each, go into the columns as split or parsed; other rows are arranged one by one. `read_csv`, the
csv module row by row, is the reference the blocks agree with. A block holds at most BLOCK_ROWS rows
and about BLOCK_CHARS characters, so memory stays bounded however long the file or wide its rows.
XLSX files are read by `govdata.xlsx` (a zip bomb refused before parsing, memory bounded); a sheet
with formulas is refused, since formulas carry no values.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl.utils import get_column_letter

from govdata import xlsx
from govdata.catalog.models import CatalogEntry
from govdata.datastore.checking import DELETE_FLAG, TRUTHY, Block, Prepared, blocks
from govdata.datastore.csvparts import CsvParts, Part
from govdata.errors import RuleViolation

SNIFF_BYTES = 64 * 1024
# Small blocks: every pass over a column (strip, lengths, checks, binding) then finds its strings
# still in the CPU's cache. The writer gathers blocks where it wants more rows at once (COPY).
BLOCK_ROWS = 1_000
BLOCK_CHARS = 400_000
FIRST_BLOCK_ROWS = 100  # the first block measures the rows; the next ones are sized from the last
PART_ROWS = 1_000  # rows read at once into a block's columns
csv.field_size_limit(16 * 1024 * 1024)


class FileProblem(RuleViolation):
    """The file itself cannot be read as data (422, naming the line or column)."""


def detect_encoding(head: bytes) -> str:
    """BOM → utf-8-sig; strict UTF-8 on the first chunk; else GB18030 (what Excel in China saves)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:  # incremental: the chunk may end inside a multi-byte character
            codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise FileProblem("文件不是文本（既非 UTF-8 也非 GB18030 编码），请另存为 CSV 或 XLSX", field="file")


def looks_binary(head: bytes) -> bool:
    return b"\x00" in head[:8192]


@dataclass
class Header:
    positions: list[int | None]  # for each field, the column it comes from
    delete_at: int | None
    columns: list[str]
    identity: bool = False  # columns exactly in field order: rows pass through untouched


def uploaded_names(entry: CatalogEntry, header: Header) -> dict[str, str]:
    """Each field the file has, by the header its column had in the file, in the file's column order."""
    found = sorted((col, entry.fields[i].name) for i, col in enumerate(header.positions) if col is not None)
    return {name: header.columns[col] for col, name in found}


def map_header(entry: CatalogEntry, header: list[Any]) -> Header:
    by_name = {f.name: i for i, f in enumerate(entry.fields)}
    by_label = {f.label: i for i, f in enumerate(entry.fields)}
    positions: list[int | None] = [None] * len(entry.fields)
    delete_at = None
    columns = [str(h).strip() if h is not None else "" for h in header]
    if not any(columns):
        raise FileProblem("第 1 行应为表头（信息项名称或中文名），文件为空或没有表头", field="file")
    for col, name in enumerate(columns):
        if name == DELETE_FLAG:
            delete_at = col
            continue
        index = by_name.get(name, by_label.get(name))
        if index is None:
            raise FileProblem(f"第 1 行：未知列“{name}”（不是该资源的信息项）", field=name or f"第{col + 1}列")
        if positions[index] is not None:
            raise FileProblem(f"第 1 行：列“{name}”重复", field=name)
        positions[index] = col
    missing = [f.name for i, f in enumerate(entry.fields) if f.is_key and positions[i] is None]
    if missing:
        raise FileProblem(f"第 1 行：缺少主键列 {missing[0]}", field=missing[0])
    identity = delete_at is None and positions == list(range(len(positions))) and len(columns) == len(positions)
    return Header(positions, delete_at, columns, identity)


def _arrange(header: Header, line: int, cells: list[Any]) -> Prepared:
    width = len(cells)
    if header.identity and width == len(header.positions):  # the usual file: columns in field order
        return line, cells, False, None
    values = [cells[p] if p is not None and p < width else None for p in header.positions]
    is_delete = header.delete_at is not None and header.delete_at < width and cells[header.delete_at] in TRUTHY
    problem = None
    if width > len(header.columns) and any(c not in (None, "") for c in cells[len(header.columns):]):
        problem = ("", f"该行有 {width} 列，多于表头的 {len(header.columns)} 列")
    return line, values, is_delete, problem


def _open_csv(entry: CatalogEntry, stream: BinaryIO,
              names: dict[str, str] | None = None) -> tuple[Header, Any, io.TextIOWrapper, str]:
    """Check the start and the header now (errors before anything is loaded)."""
    head = stream.read(SNIFF_BYTES)
    if not head.strip():
        raise FileProblem("文件为空", field="file")
    if looks_binary(head):
        raise FileProblem("文件含有二进制内容，不是 CSV 文本", field="file")
    encoding = detect_encoding(head)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="", errors="strict")
    reader = csv.reader(text, strict=True)
    try:
        first = next(reader)
    except StopIteration as exc:
        raise FileProblem("文件为空", field="file") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileProblem(f"第 1 行：无法读取表头（{type(exc).__name__}）", field="file") from exc
    header = map_header(entry, first)
    if names is not None:
        names.update(uploaded_names(entry, header))
    return header, reader, text, encoding


def read_csv(entry: CatalogEntry, stream: BinaryIO) -> Iterator[Prepared]:
    """The rows of a CSV file one by one (the header is checked before this returns)."""
    return _csv_rows(*_open_csv(entry, stream))


def read_csv_blocks(entry: CatalogEntry, stream: BinaryIO, names: dict[str, str] | None = None) -> Iterator[Block]:
    """The rows of a CSV file in blocks (the header is checked before this returns, and its columns' names
    put in `names`: field → header as in the file)."""
    return _csv_blocks(*_open_csv(entry, stream, names))


def _csv_blocks(header: Header, reader: Any, text: io.TextIOWrapper, encoding: str) -> Iterator[Block]:
    parts = CsvParts(text, len(header.columns), reader.line_num)
    size = FIRST_BLOCK_ROWS
    try:
        while True:
            block = _csv_block(header, parts, encoding, size)
            if block is None:
                return
            if block.size:
                yield block
            size = _block_rows(block)
    finally:
        text.close()


def _csv_block(header: Header, parts: CsvParts, encoding: str, size: int) -> Block | None:
    """Up to `size` rows as columns, read a part at a time (plain parts come as columns already)."""
    width = len(header.positions)
    columns: list[list[Any]] = [[] for _ in range(width)]
    lines: list[int] = []
    deleted: list[int] = []
    problems: dict[int, tuple[str, str]] = {}
    text = True
    read = 0
    while read < size:
        part = _read_part(parts, encoding, min(PART_ROWS, size - read))
        if part is None:
            break
        if part.columns is not None and header.identity:  # the usual part: one line per row, columns as read
            read += len(part.columns[0])
            lines.extend(range(part.start + 1, part.end + 1))
            for column, cells in zip(columns, part.columns, strict=True):
                column.extend(cells)
            continue
        part_rows = part.rows if part.rows is not None else [list(r) for r in zip(*part.columns or [], strict=True)]
        read += len(part_rows)
        rows: list[Any]
        if header.identity and part.end - part.start == len(part_rows) and set(map(len, part_rows)) == {width}:
            lines.extend(range(part.start + 1, part.end + 1))  # one line per row, columns as read
            rows = part_rows
        else:
            base = len(lines)
            rows = []
            for i, (line, values, is_delete, problem) in enumerate(_arranged(header, part_rows, part.start)):
                lines.append(line)
                rows.append(values)
                if is_delete:
                    deleted.append(base + i)
                if problem is not None:
                    problems[base + i] = problem
            text = text and all(v is not None for values in rows for v in values)
        if rows:
            for column, values in zip(columns, zip(*rows, strict=True), strict=True):
                column.extend(values)
    if not read:
        return None
    deletes = None
    if deleted:
        deletes = [False] * len(lines)
        for i in deleted:
            deletes[i] = True
    return Block(columns, lines, deletes=deletes, problems=problems or None, text=text)


def _read_part(parts: CsvParts, encoding: str, rows: int) -> Part | None:
    try:
        return parts.read(rows)
    except UnicodeDecodeError as exc:
        raise FileProblem(f"第 {parts.line_num + 1} 行附近：文件编码错误（按 {encoding} 无法解码），"
                          "文件可能已截断或混有其他编码", field="file") from exc
    except csv.Error as exc:
        raise FileProblem(f"第 {parts.line_num} 行：CSV 格式错误（{exc}），文件可能已截断", field="file") from exc


def _block_rows(block: Block) -> int:
    """Rows for the next block: BLOCK_CHARS characters at the size of the rows just read (a few sampled)."""
    step = max(1, block.size // 8)
    sampled = len(range(0, block.size, step))
    chars = sum(sum(map(len, map(str, column[::step]))) for column in block.columns) + 8 * len(block.columns) * sampled
    return max(1, min(BLOCK_ROWS, int(BLOCK_CHARS * sampled / max(chars, 1))))


def _line_breaks(cells: list[str]) -> int:
    """Line ends inside a row's quoted cells (csv keeps them as they were: LF, CR or CR LF)."""
    return sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in cells)


def _arranged(header: Header, part: list[list[str]], start: int) -> list[Prepared]:
    """Short, long, blank or multi-line rows (or columns in another order), each arranged as `_csv_rows` does."""
    width = len(header.positions)
    prepared: list[Prepared] = []
    line = start
    for cells in part:
        line += 1 + _line_breaks(cells)  # the row's last line, as csv's line_num tells it
        if header.identity and len(cells) == width:
            prepared.append((line, cells, False, None))
        elif cells and (len(cells) > 1 or cells[0].strip()):
            prepared.append(_arrange(header, line, cells))
    return prepared


def _csv_rows(header: Header, reader: Any, text: io.TextIOWrapper, encoding: str) -> Iterator[Prepared]:
    line = 1
    width = len(header.positions)
    identity = header.identity
    try:
        for cells in reader:
            line = reader.line_num
            if identity and len(cells) == width:  # the hot path: a full row in field order
                yield line, cells, False, None
            elif cells and (len(cells) > 1 or cells[0].strip()):
                yield _arrange(header, line, cells)
    except UnicodeDecodeError as exc:
        raise FileProblem(f"第 {line + 1} 行附近：文件编码错误（按 {encoding} 无法解码），文件可能已截断或混有其他编码",
                          field="file") from exc
    except csv.Error as exc:
        raise FileProblem(f"第 {line + 1} 行：CSV 格式错误（{exc}），文件可能已截断", field="file") from exc
    finally:
        text.close()


def read_xlsx(entry: CatalogEntry, path: Path, *, xlsx_limit: int = xlsx.DEFAULT_MAX_EXPANDED,
              names: dict[str, str] | None = None) -> Iterator[Prepared]:
    """Rows of the first sheet; the header is read now, so that a bad file is refused before any row."""
    book = xlsx.open_workbook(path, limit=xlsx_limit)
    try:
        rows = book.rows()
        first = next(rows, None)
        if first is None:
            raise FileProblem("工作表为空", field="file")
        header = map_header(entry, first.values)
        if names is not None:
            names.update(uploaded_names(entry, header))
    except BaseException:
        book.close()
        raise
    return _xlsx_rows(entry, book, header, rows)


def _xlsx_rows(entry: CatalogEntry, book: xlsx.Workbook, header: Header, rows: Iterator[xlsx.Row]
               ) -> Iterator[Prepared]:
    width = len(header.columns)
    try:
        for row in rows:
            values = row.values
            # a formula carries no value of its own; a text starting with "=" was one before it was pasted
            formula = row.formulas[0] if row.formulas else next(
                (i for i, v in enumerate(values) if isinstance(v, str) and v.startswith("=")), None)
            if formula is not None:
                raise FileProblem(f"第 {row.number} 行 {get_column_letter(formula + 1)}{row.number}：含公式，"
                                  "请粘贴为数值后再上传", field=_field_at(entry, header, formula))
            if all(v is None or v == "" for v in values):
                continue
            if len(values) < width:  # trailing empty cells are not in the file
                values.extend([None] * (width - len(values)))
            yield _arrange(header, row.number, values)
    finally:
        book.close()


def _field_at(entry: CatalogEntry, header: Header, column: int) -> str:
    for i, p in enumerate(header.positions):
        if p == column:
            return entry.fields[i].name
    return f"第{column + 1}列"


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as probe:
        magic = probe.read(4)
    return magic.startswith(b"PK\x03\x04") or path.suffix.lower() == ".xlsx"


def read_file(entry: CatalogEntry, path: Path, stream: BinaryIO | None = None, *,
              xlsx_limit: int = xlsx.DEFAULT_MAX_EXPANDED) -> Iterator[Prepared]:
    """Rows of a CSV or XLSX file on disk (type told by the content, not only the name)."""
    if _is_xlsx(path):
        return read_xlsx(entry, path, xlsx_limit=xlsx_limit)
    return read_csv(entry, stream or path.open("rb"))  # closed when the rows are read (or collected)


def read_file_blocks(entry: CatalogEntry, path: Path, *, xlsx_rows: int = 10_000,
                     xlsx_limit: int = xlsx.DEFAULT_MAX_EXPANDED,
                     names: dict[str, str] | None = None) -> Iterator[Block]:
    """The rows of a CSV or XLSX file on disk in blocks, for the loader; `names` gets the file's header
    (field → the column's header as uploaded)."""
    if _is_xlsx(path):
        return blocks(read_xlsx(entry, path, xlsx_limit=xlsx_limit, names=names), xlsx_rows, len(entry.fields))
    return read_csv_blocks(entry, path.open("rb"), names)  # closed when the blocks are read (or collected)
