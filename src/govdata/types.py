"""Shared constrained types for what comes in from outside (route parameters, request bodies, forms).

Python's ints are unbounded; the columns they are compared with are not. Unbounded,
`/api/v1/units/99999999999999999999` reached the database and failed there (SQLite cannot bind past 64
bits; PostgreSQL refuses past 32 bits for an INTEGER column: `integer out of range`), a 500. Bounded by the
column's type, the value is refused as 422 naming the parameter, the same on every database.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_INT = 2**31 - 1  # INTEGER columns: row ids, versions
MAX_BIGINT = 2**63 - 1  # BIGINT columns: the audit sequence

# A row id: positive, within INTEGER.
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
# A version or count that may be zero (a version to diff from).
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
# A position in the audit sequence (a feed cursor, a page's last seq).
Seq = Annotated[int, Field(ge=0, le=MAX_BIGINT)]


def as_id(raw: str, maximum: int = MAX_INT) -> int | None:
    """A raw text that names a row id (all digits, within the column's range), as an int; otherwise None."""
    return int(raw) if raw.isdigit() and len(raw) <= 19 and int(raw) <= maximum else None
