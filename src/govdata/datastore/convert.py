"""Turning received values into typed values, one converter per field (信息项 type, length, precision).

Converters are plain closures built once per batch. They return the value as the database driver stores
it (`storage` below), so that a new row and the row already stored can be compared with `==` to tell
updated rows from unchanged ones. `convert_columns` applies them to a whole column of a block at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from govdata.catalog.models import Field, FieldType

Converter = Callable[[Any], Any]

TRUE = {"1", "true", "t", "y", "yes", "是", "真"}
FALSE = {"0", "false", "f", "n", "no", "否", "假"}
INT_RE = re.compile(r"^[+-]?\d+$")
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d%H%M%S", "%Y/%m/%d %H:%M:%S",
                    "%Y-%m-%d %H:%M")
INT64 = 2**63
# PostgreSQL text cannot hold NUL: a value with one failed the whole batch's COPY there (503, on retry too)
# and was stored on SQLite. It is the row's problem, named like any other.
NUL = "\x00"
HAS_NUL = "含有空字符（NUL），不能保存"


class ConvertError(ValueError):
    """A value that does not fit its field; the message is shown to people (Chinese)."""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets hand integers over as floats
    return str(value)


def _char(length: int | None) -> Converter:
    limit = length or 255

    def convert(value: Any) -> Any:
        if value is None:
            return None
        text = value.strip() if type(value) is str else _text(value)
        if not text:
            return None
        if len(text) > limit:
            raise ConvertError(f"长度 {len(text)} 超过上限 {limit}")
        if NUL in text:
            raise ConvertError(HAS_NUL)
        return text

    return convert


def _memo(value: Any) -> Any:
    if value is None:
        return None
    text = _text(value)
    if NUL in text:
        raise ConvertError(HAS_NUL)
    return text or None


def _decimal(length: int | None, precision: int | None, *, as_float: bool) -> Converter:
    digits = length or 18
    places = precision or 0
    quantum = Decimal(1).scaleb(-places)
    max_int_digits = digits - places

    def convert(value: Any) -> Any:
        if value is None or isinstance(value, bool):
            if value is None:
                return None
            raise ConvertError("应为数值")
        text = _text(value).replace(",", "")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ConvertError(f"“{text[:20]}”不是数值") from exc
        if not number.is_finite():
            raise ConvertError("应为有限数值")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places and number != number.quantize(quantum):
            raise ConvertError(f"小数位超过 {places} 位")
        number = number.quantize(quantum)
        if number.adjusted() + 1 > max_int_digits and number != 0:
            raise ConvertError(f"整数部分超过 {max_int_digits} 位")
        return float(number) if as_float else number

    return convert


def _int(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConvertError("应为整数")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ConvertError("应为整数")
        number = int(value)
    else:
        text = _text(value)
        if not text:
            return None
        if not INT_RE.match(text):
            raise ConvertError(f"“{text[:20]}”不是整数")
        number = int(text)
    if not -INT64 <= number < INT64:
        raise ConvertError("整数超出范围")
    return number


def _float(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConvertError("应为数值")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _text(value)
        if not text:
            return None
        try:
            number = float(text)
        except ValueError as exc:
            raise ConvertError(f"“{text[:20]}”不是数值") from exc
    if math.isnan(number) or math.isinf(number):
        raise ConvertError("应为有限数值")
    return number


def parse_date(value: Any) -> date | None:
    if type(value) is str and len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ConvertError(f"“{text[:20]}”不是日期（应为 YYYY-MM-DD）")


def parse_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = _text(value)
        if not text:
            return None
        moment = _parse_datetime_text(text)
    if moment.tzinfo is not None:  # stored as naive UTC, like every time in the platform
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _parse_datetime_text(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ConvertError(f"“{text[:20]}”不是日期时间（应为 YYYY-MM-DD HH:MM:SS）")


def _bool(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = _text(value).lower()
    if not text:
        return None
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ConvertError(f"“{text[:20]}”不是逻辑值（应为 是/否、true/false、1/0）")


def _sqlite_date(value: Any) -> Any:
    """SQLite keeps dates as ISO text: a well-formed ISO string is checked and kept as it is."""
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise ConvertError(f"“{value}”不是日期（应为 YYYY-MM-DD）") from exc
        return value
    return sqlite_date(parse_date(value))


def sqlite_date(value: date | None) -> Any:
    return None if value is None else value.isoformat()


def sqlite_datetime(value: datetime | None) -> Any:
    return None if value is None else value.isoformat(sep=" ", timespec="microseconds")


def _compose(parse: Callable[[Any], Any], store: Callable[[Any], Any]) -> Converter:
    return lambda value: store(parse(value))


def converter(field: Field, *, sqlite: bool) -> Converter:
    """The converter of one field, giving values as the driver stores them (SQLite keeps dates as text)."""
    kind = FieldType(field.data_type)
    if kind is FieldType.CHAR:
        return _char(field.length)
    if kind is FieldType.MEMO:
        return _memo
    if kind is FieldType.NUMBER:
        return _decimal(field.length, field.precision, as_float=sqlite)
    if kind is FieldType.MONEY:
        places = field.precision if field.precision is not None else 2
        return _decimal(field.length, places, as_float=sqlite)
    if kind is FieldType.INT:
        return _int
    if kind is FieldType.FLOAT:
        return _float
    if kind is FieldType.DATE:
        return _sqlite_date if sqlite else parse_date
    if kind is FieldType.DATETIME:
        return _compose(parse_datetime, sqlite_datetime) if sqlite else parse_datetime
    return _bool


def python_column(read: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """Stored values as Python values (`python_reader`), read once per distinct value."""
    try:
        seen = {value: read(value) for value in set(values)}
    except TypeError:  # an unhashable value: one call each
        return [read(value) for value in values]
    return list(map(seen.__getitem__, values))


def python_reader(field: Field) -> Callable[[Any], Any]:
    """A fast `to_python` for one field (chosen once, not per value)."""
    kind = field.data_type
    if kind == FieldType.DATE:
        return lambda v: date.fromisoformat(v) if type(v) is str else v
    if kind == FieldType.DATETIME:
        return lambda v: datetime.fromisoformat(v) if type(v) is str else v
    return lambda v: to_python(field, v)


def to_python(field: Field, value: Any) -> Any:
    """A stored value as Python gives it to people and validators (dates as dates, numbers as Decimal)."""
    if value is None:
        return None
    kind = FieldType(field.data_type)
    if kind is FieldType.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    if kind is FieldType.DATETIME and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind in (FieldType.NUMBER, FieldType.MONEY) and isinstance(value, float | int):
        places = field.precision if field.precision is not None else (2 if kind is FieldType.MONEY else 0)
        return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places))
    if kind is FieldType.BOOL and isinstance(value, int):
        return bool(value)
    return value


def display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)
