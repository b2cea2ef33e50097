"""Rules that coarsen or replace a value: dates to year or month, numbers to a band, keyed pseudonyms, and the
two ends, suppress and clear.

A coarsened value is text, whatever the field's type: a date field masked to the month gives "1985-03", a
number field banded gives "10000-20000". A value the rule cannot read (a date field holding "不详") gives None:
withheld, never passed on as it came.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from govdata.masking.text import as_text

DATE_TEXT = re.compile(r"^(\d{4})(?:[-/.年]?(\d{1,2}))?")
PSEUDONYM_CONTEXT = b"govdata.masking.pseudonym.v1"


def _year_month(value: object) -> tuple[int, int | None] | None:
    if isinstance(value, date | datetime):
        return value.year, value.month
    found = DATE_TEXT.match(as_text(value))
    if not found:
        return None
    month = int(found.group(2)) if found.group(2) else None
    return int(found.group(1)), month if month is not None and 1 <= month <= 12 else None


def mask_date_year(value: object) -> str | None:
    """日期 to its year, as text: date(1985, 3, 12) → "1985"; text such as 1985-03-12, 1985/3/12, 19850312 or
    1985年3月12日 is read the same way. Unreadable: None."""
    if value is None or value == "":
        return None if value is None else ""
    parts = _year_month(value)
    return f"{parts[0]:04d}" if parts else None


def mask_date_month(value: object) -> str | None:
    """日期 to its month, as text: date(1985, 3, 12) → "1985-03"; a value that names only a year gives the year.
    Unreadable: None."""
    if value is None or value == "":
        return None if value is None else ""
    parts = _year_month(value)
    if parts is None:
        return None
    year, month = parts
    return f"{year:04d}-{month:02d}" if month is not None else f"{year:04d}"


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        number = Decimal(str(value))
    else:
        try:
            number = Decimal(as_text(value).replace(",", ""))
        except InvalidOperation:
            return None
    # Beyond 40 digits no real quantity lies; a text such as 1e999999999 would otherwise become a huge integer.
    return number if number.is_finite() and number.adjusted() <= 40 else None


def mask_number_band(value: object, width: int) -> str | None:
    """A number to the band of `width` holding it, as text "low-high" (low included, high not): with width 10000,
    15000 → "10000-20000", 20000 → "20000-30000", 0.5 → "0-10000". A band below zero is written with ~ so that
    its sign stays readable: -5000 → "-10000~0". Unreadable (not a number): None."""
    if value is None or value == "":
        return None if value is None else ""
    number = _number(value)
    if number is None:
        return None
    low = int((number / width).to_integral_value(rounding=ROUND_FLOOR)) * width
    return f"{low}-{low + width}" if low >= 0 else f"{low}~{low + width}"


def pseudonymizer(key: str, length: int) -> Callable[[object], str | None]:
    """Keyed pseudonyms: HMAC-SHA256 of the value's text (stripped) under a key derived from the platform's
    secret, as the first `length` hex characters. The same value gives the same pseudonym in every table and
    every call, so masked data still joins; without the secret nobody can recompute one from a guessed value
    (a plain hash of a 身份证号 could be reversed by trying every birth date). Blank stays blank."""
    derived = hmac.new(key.encode(), PSEUDONYM_CONTEXT, hashlib.sha256).digest()
    base = hmac.new(derived, digestmod=hashlib.sha256)

    def pseudonym(value: object) -> str | None:
        if value is None:
            return None
        text = (value if isinstance(value, str) else str(value)).strip()
        if not text:
            return ""
        mac = base.copy()
        mac.update(text.encode())
        return mac.hexdigest()[:length]

    return pseudonym


def suppress(value: object) -> None:
    """No value at all (None), whatever came: the field's key is kept so that rows keep their shape."""
    return None


def clear(value: object) -> object:
    """The value as it is: no masking (a field the catalog marks not sensitive, or a provider chose in clear)."""
    return value
