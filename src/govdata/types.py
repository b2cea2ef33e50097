"""Shared constrained types for what comes in from outside (route parameters, request bodies, forms).

Ids and cursors are stored as 64-bit integers. Python's ints are unbounded, so without a bound
`/api/v1/units/99999999999999999999` reached the database and failed there (SQLite cannot bind it,
a 500); with it the value is refused as 422 naming the parameter, the same on every database.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_BIGINT = 2**63 - 1

# A row id: positive and within BIGINT.
Id = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
# A position or count that may be zero (a feed cursor, a version to diff from).
Count = Annotated[int, Field(ge=0, le=MAX_BIGINT)]


def as_id(raw: str) -> int | None:
    """A raw text that names a row id (all digits, within BIGINT), as an int; otherwise None."""
    return int(raw) if raw.isdigit() and len(raw) <= 19 and int(raw) <= MAX_BIGINT else None
