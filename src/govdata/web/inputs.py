"""Control characters in what a request carries: where they are refused, and which field they were in.

C0 control characters (U+0000–U+001F) have no place in a header, a path, a query key or value, or a form
field of one line. They do harm downstream: PostgreSQL text cannot hold NUL (one caller's `X-Operator: %00`
broke other callers' group-committed lookups), XLSX cannot hold most of them, and CR/LF in a one-line
value forges lines in logs and CSV exports. Where a field legitimately spans lines, TAB, LF and CR stay:

| where | refused |
|---|---|
| headers as sent, path, query keys and values, form field names | all of C0 |
| X-Operator once percent-decoded (`%00`): `web.deps` for routed calls, the lookups' audit check | all of C0 |
| form fields shown as a `<textarea>` on some page | C0 but TAB, LF, CR |
| other form fields (one line) | all of C0 |
| strings and keys in JSON bodies (typed by their schema, which says nothing of lines) | C0 but TAB, LF, CR |

A lookup's percent-encoded X-Operator is left to the sharing lookup, which records the refused call (escaped)
before answering 400. The checks are cheap scans of the raw bytes; a body or query string is parsed only
when a scan finds one, to name the field. The middleware (`web.middleware`) runs them on every request
before any route.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

ANY_CONTROL = re.compile(r"[\x00-\x1f]")
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_RAW_CONTROL = re.compile(rb"[\x00-\x1f]")
# A percent-escape of a C0 character in a query string or form body (%00–%1F).
_ESCAPED_CONTROL = re.compile(rb"%[01][0-9a-fA-F]|[\x00-\x1f]")
# A JSON \u escape of a C0 character, not itself escaped (`\\u0000` is a backslash and the text "u0000").
_JSON_CONTROL = re.compile(rb"(?<!\\)(?:\\\\)*\\u00[01][0-9a-fA-F]")
# A `<textarea name="…">`, or the `_forms.html` macro that draws one: `area("…", …)`.
_TEXTAREA = re.compile(r"<textarea\b[^>]*\bname=\"([^\"]+)\"|\barea\(\s*\"([^\"]+)\"")

MESSAGE = "{field} 含有不允许的控制字符（如 NUL、换行），请删除后重试"


def header_label(name: bytes) -> str:
    """`x-operator` → `X-Operator`, as people write header names."""
    return "-".join(part.capitalize() for part in name.decode("latin-1").split("-"))


def printable_name(name: str) -> str:
    """A field name as it can be shown and logged (control characters escaped)."""
    return ANY_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)


def operator_text(raw: str) -> str:
    """X-Operator names a person: headers are ASCII, so a Chinese name comes percent-encoded UTF-8; raw
    UTF-8 (which arrives as latin-1 text) is accepted too."""
    with contextlib.suppress(UnicodeError):
        raw = raw.encode("latin-1").decode("utf-8")
    return unquote(raw).strip()


def bad_header(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The first header holding a control character as sent. One scan of all of them first: this runs on
    every request, the sharing lookups' hot path included."""
    if not _RAW_CONTROL.search(b" ".join(part for header in headers for part in header)):
        return None
    return next(header_label(name) for name, value in headers
                if _RAW_CONTROL.search(value) or _RAW_CONTROL.search(name))


def bad_operator(raw: str) -> bool:
    """Whether X-Operator, once percent-decoded, holds a control character (only %00-%1F decode to one:
    UTF-8 sequences are all %80 and up)."""
    return "%" in raw and ANY_CONTROL.search(operator_text(raw)) is not None


def bad_query(query_string: bytes) -> str | None:
    """The first query key or value holding a control character (`q` for `?q=%00`)."""
    if not _ESCAPED_CONTROL.search(query_string):
        return None
    return bad_pairs(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                               errors="replace"), multiline=lambda _: False)


def bad_pairs(pairs: Iterable[tuple[str, Any]], multiline: Any) -> str | None:
    """The first (name, value) pair with a control character in its name, or in its text value (TAB, LF
    and CR allowed where `multiline(name)`); file parts are not looked into."""
    for name, value in pairs:
        if ANY_CONTROL.search(name):
            return printable_name(name)
        if isinstance(value, str):
            pattern = CONTROL_BUT_LINES if multiline(name) else ANY_CONTROL
            if pattern.search(value):
                return name
    return None


def may_hold_control(body: bytes, *, is_json: bool) -> bool:
    """The cheap scan: can this form or JSON body hold a control character at all?"""
    return bool((_JSON_CONTROL if is_json else _ESCAPED_CONTROL).search(body))


def bad_json(value: Any) -> str | None:
    """The dotted path (`fields.0.label`) of a string or key in parsed JSON with a control
    character other than TAB, LF, CR; `body` for a bare string. Walked with a stack, not recursion: JSON
    may nest deeper than Python's recursion limit."""
    if isinstance(value, str):
        return "body" if CONTROL_BUT_LINES.search(value) else None
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        children = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in children:
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and ANY_CONTROL.search(key):
                return printable_name(where)
            if isinstance(child, str):
                if CONTROL_BUT_LINES.search(child):
                    return where
            elif isinstance(child, dict | list):
                stack.append((where, child))
    return None


def is_multiline(name: str) -> bool:
    """Whether a form field is shown as a `<textarea>` on some page (it may then hold TAB, LF and CR)."""
    names, prefixes = _textareas()
    return name in names or name.startswith(prefixes)


@cache
def _textareas() -> tuple[frozenset[str], tuple[str, ...]]:
    """Read once from the templates, so a new textarea needs no list kept by hand; a templated name
    (`rules.{{ f.name }}`) counts by its fixed prefix."""
    from govdata.web.templating import templates

    names: set[str] = set()
    prefixes: set[str] = set()
    for folder in getattr(templates.env.loader, "searchpath", []):
        for page in Path(folder).rglob("*.html"):
            for tag, macro in _TEXTAREA.findall(page.read_text(encoding="utf-8")):
                name = tag or macro
                if "{" in name:
                    prefixes.add(name.split("{", 1)[0])
                else:
                    names.add(name)
    return frozenset(names), tuple(sorted(p for p in prefixes if p))
