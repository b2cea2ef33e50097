"""PostgreSQL versions of the built-in format checks, so that a scan there reads the table only once.

Each returns the SQL condition "this non-empty value is good", equal in meaning to the Python check in
`checks.py` (tests compare both on the same values). Casts sit behind CASE guards, which PostgreSQL
evaluates in order, so a non-digit never reaches `CAST(... AS integer)`. User patterns stay in Python:
PostgreSQL's regular expressions are not the `regex` module's, and the time bound is set there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, and_, case, cast, false, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from govdata.quality.checks import EMAIL_RE, PHONE_RE

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _digit(col: Any, position: int) -> ColumnElement[int]:
    return func.ascii(func.substr(col, position, 1)) - 48  # cheaper than a cast, same for '0'..'9'



def _int(col: Any, start: int, length: int) -> ColumnElement[int]:
    return cast(func.substr(col, start, length), Integer)


def idcard_good(col: Any) -> ColumnElement[bool]:
    """GB 11643: 17 digits and a check character; the birth date is a real day from 1850 up to today."""
    total = sum((_digit(col, i + 1) * w for i, w in enumerate(WEIGHTS)), literal(0))
    check = func.substr("10X98765432", (total % 11) + 1, 1)
    year, month, day = _int(col, 7, 4), _int(col, 11, 2), _int(col, 13, 2)
    # the last day of the month: its first day plus one month less one day
    days_in_month = func.date_part("day", func.make_date(year, month, 1) + func.make_interval(0, 1, 0, -1))
    return case(
        (~col.regexp_match("^[0-9]{17}[0-9Xx]$"), false()),
        (or_(year < 1850, month < 1, month > 12, day < 1), false()),
        (day > days_in_month, false()),
        else_=and_(check == func.upper(func.substr(col, 18, 1)),
                   func.make_date(year, month, day) <= func.current_date())).is_(True)


def idcard_birth_text(col: Any) -> ColumnElement[str]:
    return func.substr(col, 7, 8)


def phone_good(col: Any) -> ColumnElement[bool]:
    return col.regexp_match(f"^(?:{PHONE_RE})$")


def email_good(col: Any) -> ColumnElement[bool]:
    return and_(func.length(col) <= 254, col.regexp_match(f"^(?:{EMAIL_RE})$"))


def birth_matches_bad(col: Any, idcard: Any) -> ColumnElement[bool]:
    """Bad only when the 身份证 itself is good and its birth date differs (as the Python check)."""
    return and_(idcard.is_not(None), idcard_good(idcard),
                func.to_char(col, "YYYYMMDD") != idcard_birth_text(idcard))


GOOD = {"idcard": idcard_good, "phone": phone_good, "email": email_good}

# SQLite has no regular expressions, so a scan there calls the Python check for every row. A GLOB that
# proves the usual form good (an 11-digit mobile number, the first alternative of PHONE_RE) lets most
# rows skip that call; what it does not pass, the Python check decides.
MOBILE_GLOB = "1[3-9]" + "[0-9]" * 9


def sqlite_mobile(col: Any) -> ColumnElement[bool]:
    return col.op("GLOB")(MOBILE_GLOB)


SQLITE_GOOD = {"phone": sqlite_mobile}
