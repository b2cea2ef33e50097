"""Each masking rule on its own: Chinese examples, and the edges (None, blank, short, full-width, odd shapes)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from govdata.masking import identifiers, people, values

ID_CARD = [
    ("350802198503121234", "350802********1234"),
    ("35080219850312123x", "350802********123X"),  # a lower-case check letter is the same number
    ("３５０８０２１９８５０３１２１２３４", "350802********1234"),  # full-width digits
    ("350802 19850312 1234", "350802********1234"),
    ("350802850312123", "350802******123"),  # first generation: the 6 birth-date digits all hidden
    ("12345", "*****"),
    ("E12345678", "*********"),  # not a 身份证号: all stars
    ("", ""),
    (None, None),
]
MOBILE = [
    ("13812345678", "138****5678"),
    ("+86 138 1234 5678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    ("1381234", "*******"),
    (13812345678, "138****5678"),  # kept as a number
    ("", ""),
    (None, None),
]
LANDLINE = [
    ("0597-2345678", "0597-*****78"),
    ("05972345678", "0597-*****78"),
    ("(010)87654321-801", "010-******21"),
    ("（0597）2345678转801", "0597-*****78"),
    ("021 61234567", "021-******67"),
    ("2345678", "*****78"),
    ("12", "**"),
    ("", ""),
    (None, None),
]
PHONE = [
    ("13812345678", "138****5678"),
    ("0597-2345678", "0597-*****78"),
    ("13812345678/0597-2345678", "138****5678/0597-*****78"),
    ("13812345678，13912345678", "138****5678/139****5678"),
    ("不详", "**"),
    ("", ""),
    (None, None),
]
NAME = [
    ("张三", "张*"),
    ("王小明", "王**"),
    ("欧阳娜娜", "欧阳**"),
    ("司马相如", "司马**"),
    ("诸葛亮", "诸葛*"),
    ("欧阳", "欧*"),  # a 复姓 alone is read as surname and given name
    ("张", "*"),
    ("阿卜杜拉·买买提", "阿*******"),
    ("John Smith", "J*********"),
    ("  李四 ", "李*"),
    ("", ""),
    (None, None),
]
ADDRESS = [
    ("福建省龙岩市新罗区西城街道中山路12号", "福建省龙岩市新罗区****"),
    ("龙岩市新罗区东城街道九一路 3 号", "龙岩市新罗区****"),
    ("龙岩市东城街道九一路", "龙岩市东城街道****"),
    ("新罗区西城街道中山路12号", "新罗区****"),
    ("福建省漳平市和平镇和平路8号", "福建省漳平市和平镇****"),
    ("福建省龙岩市县前路5号", "福建省龙岩市****"),  # 县前路 is a street, not a county
    ("福建省龙岩市香港街W座", "福建省龙岩市****"),
    ("北京市朝阳区建国路88号", "北京市朝阳区****"),
    ("新疆维吾尔自治区乌鲁木齐市天山区解放路1号", "新疆维吾尔自治区乌鲁木齐市天山区****"),
    ("内蒙古自治区鄂尔多斯市鄂托克前旗敖勒召其镇", "内蒙古自治区鄂尔多斯市鄂托克前旗****"),
    ("福建省龙岩市新罗区", "福建省龙岩市****"),  # ends at its county: one level less, never all of it
    ("龙岩市", "****"),
    ("中山路12号", "****"),
    ("", ""),
    (None, None),
]
BANK_CARD = [
    ("6222021234567890", "622202******7890"),
    ("6222 0212 3456 7890 123", "622202*********0123"),
    ("6222-0212-3456-7890", "622202******7890"),
    ("62220212", "********"),
    ("", ""),
    (None, None),
]
EMAIL = [
    ("zhangsan@example.com", "z***@example.com"),
    ("a@ly.gov.cn", "a***@ly.gov.cn"),
    ("ＺＨＡＮＧ@ｅｘａｍｐｌｅ.ｃｏｍ", "Z***@example.com"),
    ("zhangsan", "***"),
    ("@example.com", "***"),
    ("", ""),
    (None, None),
]
PLATE = [
    ("闽F12345", "闽F***5"),
    ("闽FD12345", "闽F***5"),  # new-energy plates: the length is not shown either
    ("闽F·12345", "闽F***5"),
    ("闽f12345", "闽F***5"),
    ("12345", "***"),
    ("", ""),
    (None, None),
]


CASES = [
    (identifiers.mask_id_card, ID_CARD), (identifiers.mask_mobile, MOBILE), (identifiers.mask_landline, LANDLINE),
    (identifiers.mask_phone, PHONE), (people.mask_name, NAME), (people.mask_address, ADDRESS),
    (identifiers.mask_bank_card, BANK_CARD), (identifiers.mask_email, EMAIL), (identifiers.mask_plate, PLATE),
]


@pytest.mark.parametrize(("mask", "value", "expected"), [
    pytest.param(mask, value, expected, id=f"{mask.__name__}-{value}") for mask, table in CASES
    for value, expected in table
])
def test_text_rules(mask: Any, value: Any, expected: Any) -> None:
    assert mask(value) == expected


@pytest.mark.parametrize(("value", "year", "month"), [
    (date(1985, 3, 12), "1985", "1985-03"),
    (datetime(1985, 3, 12, 8, 30), "1985", "1985-03"),
    ("1985-03-12", "1985", "1985-03"),
    ("1985/3/12", "1985", "1985-03"),
    ("19850312", "1985", "1985-03"),
    ("1985年3月12日", "1985", "1985-03"),
    ("１９８５-０３-１２", "1985", "1985-03"),
    ("1985", "1985", "1985"),  # nothing finer to hide
    ("1985-13-01", "1985", "1985"),  # no such month: the year alone
    ("不详", None, None),
    ("", "", ""),
    (None, None, None),
])
def test_dates_to_year_or_month_as_text(value: Any, year: Any, month: Any) -> None:
    assert values.mask_date_year(value) == year
    assert values.mask_date_month(value) == month


@pytest.mark.parametrize(("value", "width", "expected"), [
    (15000, 10000, "10000-20000"),
    (20000, 10000, "20000-30000"),  # the low end belongs to the band, the high end to the next
    (Decimal("9999.99"), 10000, "0-10000"),
    (0.5, 10000, "0-10000"),
    ("35", 10, "30-40"),
    ("1,234,567", 1000000, "1000000-2000000"),
    (-5000, 10000, "-10000~0"),
    ("１５０００", 10000, "10000-20000"),
    ("不详", 10, None),
    ("NaN", 10, None),
    ("1e999999999", 10, None),
    (True, 10, None),
    ("", 10, ""),
    (None, 10, None),
])
def test_number_band(value: Any, width: int, expected: Any) -> None:
    assert values.mask_number_band(value, width) == expected


def test_pseudonym_is_keyed_truncated_hex_and_joins() -> None:
    first = values.pseudonymizer("secret-a", 16)
    again = values.pseudonymizer("secret-a", 16)
    other_key = values.pseudonymizer("secret-b", 16)
    value = "350802198503121234"
    assert first(value) == again(value)  # another masker, another table: the same pseudonym, so rows join
    assert len(first(value) or "") == 16 and all(c in "0123456789abcdef" for c in first(value) or "")
    assert first(value) != other_key(value)
    assert first(value) != first("350802198503121235")
    assert first(" 350802198503121234 ") == first(value)
    assert first(12345) == first("12345")
    assert values.pseudonymizer("secret-a", 24)(value) is not None
    assert len(values.pseudonymizer("secret-a", 24)(value) or "") == 24
    assert first("") == "" and first(None) is None


@pytest.mark.parametrize("value", ["350802198503121234", "", 0, date(1985, 3, 12), None])
def test_suppress_and_clear(value: Any) -> None:
    assert values.suppress(value) is None
    assert values.clear(value) is value
