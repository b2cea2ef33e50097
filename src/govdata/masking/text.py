"""What every text rule does first: a value as comparable text, and the stars that stand for hidden characters."""

from __future__ import annotations

import re
import unicodedata

SEPARATORS = re.compile(r"[\s\-·.]+")  # inside 身份证号, 银行卡号, 车牌: 3508 0219 …, 闽F·12345


def as_text(value: object) -> str:
    """The value as stripped text, full-width characters made half-width (１３８… and ＡＢ are 138… and AB), so
    that a rule recognises a shape however it was typed. ASCII text skips the normalisation (the common case)."""
    text = value if isinstance(value, str) else str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


def compact(text: str) -> str:
    """The text without separators, upper case (a trailing x of a 身份证号 is X)."""
    return SEPARATORS.sub("", text).upper()


def stars(count: int) -> str:
    return "*" * count


def keep_ends(text: str, head: int, tail: int) -> str:
    """`head` characters, stars for the middle, `tail` characters: the length is kept. A text too short to
    hide at least one character that way is all stars (fail closed: never the value itself)."""
    hidden = len(text) - head - tail
    if hidden < 1:
        return stars(len(text))
    return text[:head] + stars(hidden) + (text[-tail:] if tail else "")
