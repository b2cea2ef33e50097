"""A CSV text stream read in parts: plain parts split by C string methods, the others by the csv module.

Spreadsheets and csv writers quote only the cells that need it, so most parts of most files hold no quote
at all. A part with no quote, one kind of line end (LF or CR LF throughout) and the same number of commas
on every line is exactly what `csv.reader` makes of it split on line ends and commas: it is split so,
straight into columns, with no list per row. Per-row lists are most of the reading cost beside the parse
itself: a million of them keep the cyclic collector walking the heap. Any other part is read by
`csv.reader` (strict), and a quoted cell that runs past the part's end hands the rest of the file to the
csv module, so every file gives exactly the rows and line numbers the csv module gives.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import Any

MIN_READ = 16 * 1024  # characters read at least at once
MAX_LINE_HUNT = 1024 * 1024  # characters read looking for a line end before the csv module takes over


@dataclass
class Part:
    """Consecutive rows of the file: `columns` for a plain part (one row per line), else `rows`."""

    start: int  # physical lines read before the part's first row
    end: int  # physical lines read after its last row (as csv.reader's line_num counts them)
    columns: list[list[str]] | None = None
    rows: list[list[str]] | None = None


class CsvParts:
    """The rows after the header of a CSV text stream (opened with newline=""), a part at a time."""

    def __init__(self, text: io.TextIOBase, width: int, line_num: int) -> None:
        self.text = text
        self.width = width  # cells in a plain line: the header's
        self.line_num = line_num  # physical lines read so far (the header's)
        self.unread = ""  # text read from the stream, not yet made rows; starts at the start of a line
        self.at_end = False
        self.line_chars = 100  # characters per line, as last seen: how much to read for the next part
        self.reader: Any = None  # the csv module's reader, once it reads the rest of the file
        self.reader_lines = 0

    def read(self, rows: int) -> Part | None:
        """Up to `rows` rows (fewer when a part is cut short); None at the end of the file."""
        if self.reader is not None:
            return self._streamed(rows)
        eol = self._fill(rows)
        if eol is None:  # no line end in sight: the csv module reads the rest
            return self._hand_over(rows)
        lines = self.unread.split(eol, rows)
        rest = lines.pop()
        ended = True  # the last line has its line end
        if self.at_end and rest:
            lines.append(rest)
            rest, ended = "", False
        if not lines:
            return None
        joined = ",".join(lines)
        part = self._plain(lines, joined)
        if part is None:
            body = eol.join(lines) + (eol if ended else "")
            source = io.StringIO(body, newline="")
            reader = csv.reader(source, strict=True)
            try:  # lone CRs end lines too: the lines may hold more rows than asked for
                found = list(islice(reader, rows))
            except csv.Error:  # a quoted cell running on past this part, or a real error: the csv module
                return self._hand_over(rows)  # reads from here on, and says which
            rest = body[source.tell():] + rest  # the reader takes a line at a time: the rest is unread
            part = Part(self.line_num, self.line_num + reader.line_num, rows=found)
        self.unread = rest
        self.line_num = part.end
        self.line_chars = max(1, len(joined) // len(lines))
        return part

    def _fill(self, rows: int) -> str | None:
        """Read until `rows` line ends are unread (or the end); the line end in use, None if none is found."""
        while True:
            first = self.unread.find("\n")
            if first >= 0:
                eol = "\r\n" if first and self.unread[first - 1] == "\r" else "\n"
                if self.at_end or self.unread.count(eol) >= rows:
                    return eol
            elif self.at_end:
                return "\n"  # one last line without a line end
            elif len(self.unread) > MAX_LINE_HUNT:
                return None
            chunk = self.text.read(max(MIN_READ, rows * self.line_chars * 9 // 8))
            if not chunk:
                self.at_end = True
            self.unread += chunk

    def _plain(self, lines: list[str], joined: str) -> Part | None:
        """The lines as columns when splitting on commas is exactly what the csv module would do."""
        width = self.width
        if ('"' in joined or "\r" in joined or "\n" in joined or len(joined) >= csv.field_size_limit()
                or set(map(str.count, lines, repeat(","))) != {width - 1} or (width == 1 and "" in lines)):
            return None
        cells = joined.split(",")
        return Part(self.line_num, self.line_num + len(lines), columns=[cells[j::width] for j in range(width)])

    def _hand_over(self, rows: int) -> Part | None:
        """The rest of the file to the csv module, from the start of the unread text."""
        unread = self.unread
        if unread and not unread.endswith("\n"):
            unread += self.text.readline()  # whole lines only (a CR LF split by a read comes together again)
        self.unread = ""
        self.reader = csv.reader(chain(io.StringIO(unread, newline=""), self.text), strict=True)
        self.reader_lines = self.line_num
        return self._streamed(rows)

    def _streamed(self, rows: int) -> Part | None:
        start = self.line_num
        try:
            found = list(islice(self.reader, rows))
        finally:  # also where the csv module stopped on an error, for the message
            self.line_num = self.reader_lines + self.reader.line_num
        if not found:
            return None
        return Part(start, self.line_num, rows=found)
