"""Rules for numbers that name one person or account: 身份证号, 手机, 固话, 银行卡, 电子邮箱, 车牌.

Each takes any value and gives text (None stays None, blank text stays ""). A value whose shape the rule does not
recognise is all stars, never returned as it came: a rule may hide too much, but never too little.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from govdata.masking.text import as_text, compact, keep_ends, stars

ID_18 = re.compile(r"^\d{17}[\dX]$")
ID_15 = re.compile(r"^\d{15}$")
WELL_FORMED_ID_18 = re.compile(r"[0-9]{17}[0-9X]")  # ASCII, nothing around it: what as_text and compact keep
WELL_FORMED_ID_18_LINES = re.compile(r"(?:[0-9]{17}[0-9X]\n)*[0-9]{17}[0-9X]")
MOBILE = re.compile(r"^(?:\+?86|0086)?[\s\-]?(1\d{2})[\s\-]?(\d{4})[\s\-]?(\d{4})$")
# 区号 (010, 02x or 0 + three digits), the local number of 7 or 8 digits, an optional extension (dropped).
LANDLINE = re.compile(r"^(?:\+?86[\s\-]?)?[(（]?(0(?:10|2\d|[3-9]\d{2}))[)）]?[\s\-]?(\d{7,8})"
                      r"(?:\s*(?:-|转|ext\.?|#|分机)\s*\d{1,6})?$", re.IGNORECASE)
LOCAL = re.compile(r"^(\d{7,8})(?:\s*(?:-|转|ext\.?|#|分机)\s*\d{1,6})?$", re.IGNORECASE)
SEVERAL = re.compile(r"\s*[,，;；/、]\s*")  # 联系电话 fields often hold two numbers: 13812345678/0597-2345678
BANK_CARD = re.compile(r"^\d{12,19}$")
PLATE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-Z0-9\u4e00-\u9fff]{4,7}$")


def mask_id_card(value: object) -> str | None:
    """身份证号 (公民身份号码): the first 6 digits (the 区划 of registration) and the last 4, the 8 birth-date
    digits and the rest starred: 350802198503121234 → 350802********1234. A 15-digit number of the first
    generation keeps its first 6 and last 3 (the last 4 would include a digit of the birth date):
    350802850312123 → 350802******123. Separators and a lower-case x are tolerated; other shapes: all stars."""
    if value is None:
        return None
    text = as_text(value)
    if not ID_18.match(text):  # the usual value needs no compacting
        text = compact(text)
    if ID_18.match(text):
        return text[:6] + "********" + text[-4:]
    if ID_15.match(text):
        return text[:6] + stars(6) + text[-3:]
    return stars(len(text))


def mask_id_card_column(values: Sequence[Any]) -> list[str | None]:
    """`mask_id_card` of each value of a column (streamed downloads). A column of well-formed 18-character
    numbers, as stored ones nearly always are, is masked as one text: joined with line ends, checked by one
    match, and its 8 birth-date digits starred by position (every number starts 19 characters after the last),
    which is what the rule gives each of them. Any other column: each well-formed value cut at once (the
    normalising steps would leave it unchanged), the rest by the rule itself."""
    try:
        joined = "\n".join(values)
    except TypeError:  # a value that is not text: each by the rule itself
        return [mask_id_card(v) for v in values]
    # (The length rules out a value holding a line end: then the text would have more lines than values.)
    if len(joined) == 19 * len(values) - 1 and WELL_FORMED_ID_18_LINES.fullmatch(joined):
        text = bytearray(joined, "ascii")
        stars_ = b"*" * len(values)
        for position in range(6, 14):
            text[position::19] = stars_
        return text.decode("ascii").split("\n")  # type: ignore[return-value]
    well_formed = WELL_FORMED_ID_18.fullmatch
    return [f"{v[:6]}********{v[14:]}" if well_formed(v) else mask_id_card(v) for v in values]


def mask_mobile(value: object) -> str | None:
    """手机号: the first 3 digits (the carrier's 号段) and the last 4: 13812345678 → 138****5678. A +86 prefix
    and separators are dropped. Other shapes: all stars."""
    if value is None:
        return None
    text = as_text(value)
    found = MOBILE.match(text)
    if found:
        return f"{found.group(1)}****{found.group(3)}"
    return stars(len(text))


def mask_landline(value: object) -> str | None:
    """固定电话: the 区号 and the last 2 digits of the local number, an extension dropped:
    0597-2345678 → 0597-*****78, (010)87654321-801 → 010-******21, 2345678 → *****78. The 区号 names a city,
    which other fields show anyway; the last 2 digits alone name nobody. Other shapes: all stars."""
    if value is None:
        return None
    text = as_text(value)
    found = LANDLINE.match(text)
    if found:
        local = found.group(2)
        return f"{found.group(1)}-{stars(len(local) - 2)}{local[-2:]}"
    found = LOCAL.match(text)
    if found:
        local = found.group(1)
        return stars(len(local) - 2) + local[-2:]
    return stars(len(text))


def _mask_one_phone(text: str) -> str:
    found = MOBILE.match(text)
    if found:
        return f"{found.group(1)}****{found.group(3)}"
    return mask_landline(text) or ""


def mask_phone(value: object) -> str | None:
    """联系电话 of either kind, chosen by shape: a mobile number (1 and ten digits, +86 allowed) as `mask_mobile`,
    anything else as `mask_landline`. Several numbers in one value (separated by , ; / 、) are masked each:
    13812345678/0597-2345678 → 138****5678/0597-*****78."""
    if value is None:
        return None
    text = as_text(value)
    if len(text) == 11 and text[0] == "1" and text.isascii() and text.isdigit():  # the usual value, quickly
        return f"{text[:3]}****{text[7:]}"
    if not text:
        return text
    if not SEVERAL.search(text):
        return _mask_one_phone(text)
    return "/".join(_mask_one_phone(p) for p in SEVERAL.split(text) if p)


def mask_bank_card(value: object) -> str | None:
    """银行卡号 (12 to 19 digits): the first 6 (the issuing bank's BIN) and the last 4, separators dropped:
    6222 0212 3456 7890 → 622202******7890. Other shapes: all stars."""
    if value is None:
        return None
    text = compact(as_text(value))
    if BANK_CARD.match(text):
        return keep_ends(text, 6, 4)
    return stars(len(text))


def mask_email(value: object) -> str | None:
    """电子邮箱: the first character of the name and the whole domain, the rest as three stars whatever its
    length: zhangsan@example.com → z***@example.com. Text without a name and a domain: three stars."""
    if value is None:
        return None
    text = as_text(value)
    if not text:
        return text
    name, at, domain = text.rpartition("@")
    if not at or not name or not domain:
        return "***"
    return f"{name[0]}***@{domain}"


def mask_plate(value: object) -> str | None:
    """车牌号: the province's character, the issuing office's letter and the last character, three stars between
    whatever the length (new-energy plates have one more): 闽F12345 → 闽F***5, 闽FD12345 → 闽F***5.
    Separators (闽F·12345) are dropped. Other shapes: three stars."""
    if value is None:
        return None
    text = compact(as_text(value))
    if not text:
        return text
    if PLATE.match(text):
        return f"{text[:2]}***{text[-1]}"
    return "***"

