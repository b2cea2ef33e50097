"""Checking single values: one small function per built-in format, shared by the row validator and scans.

Every function takes a non-empty value and returns True when it is good. They are on the hot path of
ingestion and scans, so they avoid allocation where they can and cache what repeats (birth dates).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import repeat
from operator import itemgetter, mod
from typing import Any

from stdnum.cn import uscc

from govdata import clock
from govdata.catalog.models import FieldType

# ASCII digits only (\d would take full-width ones); the same text runs in PostgreSQL (sqlchecks.py).
PHONE_RE = r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(?:-[0-9]{1,6})?|[0-9]{7,8}|[48]00-?[0-9]{3}-?[0-9]{4}"
EMAIL_RE = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
PHONE = re.compile(PHONE_RE)
EMAIL = re.compile(EMAIL_RE)
_DATES: dict[str, date | None] = {}
# Today, read once per validator or scan (refresh_today) instead of once per value: it is on the hot path.
_TODAY = [clock.today()]
# Birth-date text (YYYYMMDD) -> whether it is a real day from 1850 up to today; depends on today, so
# refresh_today empties it.
_BIRTHS_OK: dict[str, bool] = {}


def refresh_today() -> None:
    _TODAY[0] = clock.today()
    _BIRTHS_OK.clear()


def compact_date(text: str) -> date | None:
    """YYYYMMDD → date, or None; cached because birth dates repeat across millions of rows."""
    found = _DATES.get(text, False)
    if found is not False:
        return found  # type: ignore[return-value]
    try:
        parsed: date | None = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        parsed = None
    if len(_DATES) > 200_000:
        _DATES.clear()
    _DATES[text] = parsed
    return parsed


IDCARD_CHECK = "10X98765432"  # GB 11643 check character by (2 × the 17 digits read in base 13) mod 11
IDCARD_SHAPE = re.compile(r"(?:[0-9]{17}[0-9X])*")
_BODY, _LAST, _BIRTH = itemgetter(slice(0, 17)), itemgetter(17), itemgetter(slice(6, 14))
# The check character by (int(17 digits, 13) mod 11): IDCARD_CHECK at twice that, mod 11.
_CHECK_BY_REST = "".join(IDCARD_CHECK[(2 * rest) % 11] for rest in range(11))

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: 31 characters, no I O S V Z
USCC_SHAPE = re.compile(r"(?:[0-9]{8}[0-9A-HJ-NP-RTUW-Y]{10})*")
# Each USCC character as the base-34 digit of its value: 34 ≡ 3 (mod 31), so reading the first 17
# characters backwards in base 34 gives the weighted sum Σ value·3^i modulo 31 in one C call.
_USCC_DIGITS = str.maketrans(USCC_ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTU")


def _birth_ok(text: str) -> bool:
    ok = _BIRTHS_OK.get(text)
    if ok is None:
        born = compact_date(text)
        ok = born is not None and born.year >= 1850 and born <= _TODAY[0]
        if len(_BIRTHS_OK) > 200_000:
            _BIRTHS_OK.clear()
        _BIRTHS_OK[text] = ok
    return ok


def idcard_birth(value: str) -> date | None:
    """Birth date of an 18-digit 公民身份号码 whose check digit is right (GB 11643), else None.

    The check digit is stdnum's (`stdnum.cn.ric.calc_check_digit`: (1 − 2 × int(17 digits, 13)) mod 11,
    10 written X) computed inline; tests compare both on arbitrary input.
    """
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return None
    if IDCARD_CHECK[(int(value[:17], 13) << 1) % 11] != value[17].upper():
        return None
    born = compact_date(value[6:14])
    if born is None or born.year < 1850 or born > _TODAY[0]:
        return None
    return born


def idcard_ok(value: Any) -> bool:
    """`idcard_birth(value) is not None`, said faster: a scan calls it once per row (one slice of the 17
    digits, the birth date's verdict from a cache)."""
    if not isinstance(value, str) or len(value) != 18:
        return False
    body = value[:17]
    return (body.isascii() and body.isdigit() and IDCARD_CHECK[(int(body, 13) << 1) % 11] == value[17].upper()
            and _birth_ok(value[6:14]))


def idcard_failures(values: Sequence[Any]) -> list[int]:
    """Positions of the values that are not good 身份证 numbers, exactly as `idcard_ok` says, many at once.

    The common block (all well-formed) is screened with C-level passes: one regular expression over the
    joined text, one integer parse per value, one date check per distinct birth date. Anything the
    screen does not pass is decided by `idcard_ok` itself, so the screen can only be faster, not laxer.
    """
    suspects = _idcard_screen(values)
    if suspects is None:
        return [i for i, v in enumerate(values) if not idcard_ok(v)]
    return [i for i in suspects if not idcard_ok(values[i])]


def _idcard_screen(values: Sequence[Any]) -> list[int] | None:
    """Positions not proven good by the fast checks, or None when the block is not uniform enough."""
    try:
        if not values or set(map(len, values)) != {18}:
            return None
        joined = "".join(values)  # TypeError unless every value is text
    except TypeError:
        return None
    if IDCARD_SHAPE.fullmatch(joined) is None:  # 17 ASCII digits and 0-9/X each (x, full-width: slow path)
        return None
    # The expected check characters, made by C-level map passes, compared with the given ones at once.
    rests = map(mod, map(int, map(_BODY, values), repeat(13)), repeat(11))
    if "".join(map(_CHECK_BY_REST.__getitem__, rests)) == "".join(map(_LAST, values)):
        suspects = []
    else:
        check = IDCARD_CHECK
        suspects = [i for i, v in enumerate(values) if check[(int(v[:17], 13) << 1) % 11] != v[17]]
    bad_births = {b for b in set(map(_BIRTH, values)) if not _birth_ok(b)}
    if bad_births:
        suspects += [i for i, v in enumerate(values) if v[6:14] in bad_births]
    return sorted(set(suspects))


def uscc_check(value: str) -> str:
    """The GB 32100 check character of an 18-character code whose first 17 are in the alphabet."""
    return USCC_ALPHABET[-int(value[16::-1].translate(_USCC_DIGITS), 34) % 31]


def uscc_ok(value: Any) -> bool:
    """A 统一社会信用代码 as `stdnum.cn.uscc.is_valid` accepts it (18 characters as given)."""
    if not isinstance(value, str) or len(value) != 18:
        return False
    if USCC_SHAPE.fullmatch(value) is not None:  # the usual form: decided here, without stdnum's loops
        return uscc_check(value) == value[17]
    return uscc.is_valid(value)


def uscc_failures(values: Sequence[Any]) -> list[int]:
    """Positions of the values that `uscc_ok` refuses, many at once (see `idcard_failures`)."""
    try:
        uniform = bool(values) and set(map(len, values)) == {18} and USCC_SHAPE.fullmatch("".join(values))
    except TypeError:
        uniform = False
    if not uniform:
        return [i for i, v in enumerate(values) if not uscc_ok(v)]
    return [i for i, v in enumerate(values) if uscc_check(v) != v[17]]


def phone_ok(value: Any) -> bool:
    return isinstance(value, str) and PHONE.fullmatch(value) is not None


def email_ok(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 254 and EMAIL.fullmatch(value) is not None


def to_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        text = str(value)
        return datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)
    except ValueError:
        return None


def _to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _to_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _to_int(value: Any) -> int | None:
    number = _to_number(value)
    return int(number) if number is not None and number == number.to_integral_value() else None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "t", "y", "yes", "是"}:
        return True
    if text in {"0", "false", "f", "n", "no", "否"}:
        return False
    return None


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    FieldType.CHAR.value: str, FieldType.MEMO.value: str,
    FieldType.NUMBER.value: _to_number, FieldType.MONEY.value: _to_number, FieldType.FLOAT.value: _to_number,
    FieldType.INT.value: _to_int, FieldType.DATE.value: to_date, FieldType.DATETIME.value: _to_datetime,
    FieldType.BOOL.value: _to_bool,
}


def convert(data_type: str, value: Any) -> Any:
    """The value as the field's type, or None when it cannot be one."""
    return CONVERTERS[data_type](value)


def comparable(data_type: str, value: Any) -> Any:
    """A value that orders correctly against the rule's bounds (numbers as Decimal, dates as ISO text)."""
    converted = convert(data_type, value)
    if converted is None:
        return None
    if data_type == FieldType.DATE.value:
        return converted.isoformat()
    if data_type == FieldType.DATETIME.value:
        return converted.date().isoformat()
    return converted
