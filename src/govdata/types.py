"""Constrained types the domains' schemas share.

- `Timestamp`, a moment in an answer. Moments are stored naive UTC everywhere; in JSON they go out as UTC
  with their offset (`2026-11-25T08:41:12.882052Z`), as OpenAPI's `date-time` (RFC 3339) requires: a time
  without a zone is read as local time by most clients, eight hours off in Beijing. In Python the value
  stays the naive UTC the services and pages compare with `clock.now()`.
- `IsoDate`, a calendar date taken from a request: a `YYYY-MM-DD` string only (or a `date` from Python
  code). pydantic's own `date` took `0`, `"0"` and `86400` as days of 1970 (`"assessment_date": 0` was
  stored as 1970-01-01) and `"2026-01-01T00:00:00"` as a date.
- `IsoDateTime`, a moment taken from a request: an RFC 3339 string with its offset, kept as naive UTC.
- `Id`, `Count`, `Seq`, integers taken from a request, bounded by the column they are compared with.
  Python's ints are unbounded; unbounded, `/api/v1/units/99999999999999999999` reached the database and
  failed there (SQLite cannot bind past 64 bits; PostgreSQL refuses past 32 bits for an INTEGER column:
  `integer out of range`), a 500. Bounded, the value is refused as 422 naming the parameter, the same on
  every database.

Each carries a `pattern` in its JSON schema, so that clients see the rule and a test can tell from the
OpenAPI document that every date and time field uses them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

OFFSET_PATTERN = r"(Z|[+-][0-9]{2}:[0-9]{2})$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?" + OFFSET_PATTERN


def with_offset(moment: datetime) -> str:
    """A stored (naive UTC) or aware moment as RFC 3339 UTC: `…Z`."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


Timestamp = Annotated[
    datetime,
    PlainSerializer(with_offset, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": OFFSET_PATTERN,
                    "examples": ["2026-11-25T08:41:12.882052Z"]}),
]


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(DATE_PATTERN, value):
        return value  # pydantic parses it, and refuses 2026-02-30
    raise PydanticCustomError("iso_date", "应为 YYYY-MM-DD 格式的日期字符串")


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN, "examples": ["2026-11-25"]}),
]


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str) and re.fullmatch(DATETIME_PATTERN, value):
        return value
    raise PydanticCustomError("iso_datetime", "应为带时区的时间字符串（如 2026-11-25T16:41:12+08:00）")


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


IsoDateTime = Annotated[
    datetime,
    BeforeValidator(_iso_datetime),
    AfterValidator(_naive_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN,
                    "examples": ["2026-11-25T16:41:12+08:00"]}),
]


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


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(value: Any) -> Any:
    """A text stripped, control characters refused (PostgreSQL cannot store NUL, and none belongs in a name);
    anything else as it is (a `field_validator(mode="before")` leaves type errors to the field's type)."""
    if not isinstance(value, str):
        return value
    if CONTROL.search(value):
        raise ValueError("不能包含控制字符")
    return value.strip()


# An e-mail address a person is reached at (reminders go there): one ASCII local part, one domain with a dot, no
# spaces or line breaks (a header can never be injected through it), at most 128 characters; "" means none.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = r"^$|^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@" + _LABEL + r"(?:\." + _LABEL + r")+$"


def _email(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError("email", "应为文字")
    text = value.strip()
    if len(text) > 128:
        raise PydanticCustomError("email", "电子邮箱不能超过 128 个字符")
    if not re.fullmatch(EMAIL_PATTERN, text) or ".." in text:
        raise PydanticCustomError("email", "电子邮箱格式不正确（例如 zhangsan@example.gov.cn）")
    return text


EmailText = Annotated[
    str,
    BeforeValidator(_email),
    WithJsonSchema({"type": "string", "maxLength": 128, "pattern": EMAIL_PATTERN,
                    "examples": ["zhangsan@example.gov.cn"]}),
]
