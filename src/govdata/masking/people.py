"""Rules for who and where: 姓名 (keep the surname) and 地址 (keep the place down to the county or township)."""

from __future__ import annotations

import re

from govdata.masking.text import as_text, stars

# 复姓 that are used as such today. Left out on purpose: pairs whose first character is a common single surname
# and whose second often starts a given name (张简, 张廖, 范姜, 段干): there the rule would show one character of
# the given name, so they are treated as a single surname (which hides one more character, never one fewer).
_COMPOUND = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 司空 夏侯 "
    "轩辕 令狐 钟离 闻人 万俟 赫连 澹台 公羊 公冶 宗政 濮阳 淳于 单于 太叔 "
    "申屠 仲孙 鲜于 闾丘 亓官 司寇 子车 颛孙 端木 巫马 公西 漆雕 乐正 壤驷 "
    "公良 拓跋 夹谷 宰父 谷梁 百里 东郭 南门 呼延 归海 羊舌 微生 梁丘 左丘 "
    "东门 西门 南宫 第五 独孤 太史 公叔 东野")
COMPOUND_SURNAMES = frozenset(_COMPOUND.split())


def surname_of(name: str) -> str:
    """The surname of a name as written in Chinese: a known 复姓 when the name is longer than it, else the first
    character (a single character is a surname only if something follows it)."""
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1] if len(name) > 1 else ""


def mask_name(value: object) -> str | None:
    """姓名: the surname, a star for each other character: 张三 → 张*, 王小明 → 王**, 欧阳娜娜 → 欧阳**,
    司马相如 → 司马**. A one-character value is one star. Names in other scripts keep their first letter
    (John Smith → J*********); a 少数民族 name with · keeps its first character."""
    if value is None:
        return None
    text = as_text(value)
    surname = surname_of(text)
    return surname + stars(len(text) - len(surname))


# Address levels, outermost first. A level is a short name ending in its marker; names never hold the marks of a
# street or a number (路 街 巷 号 …), so a street such as 县前路 is not taken for a county.
_NAME = r"[^\s\d路街道巷弄号栋幢楼室座村组{stop}]"
PROVINCE = _NAME.format(stop="市区县") + r"{2,7}?(?:省|自治区|特别行政区)"
CITY = _NAME.format(stop="区县镇乡") + r"{1,9}?(?:自治州|地区|市|州|盟)"
COUNTY = _NAME.format(stop="") + r"{1,7}?(?:街道|区|县|市|旗|镇|乡)"
# The three levels in one match, each optional and in order (one pass over the text, not three).
LEVELS = re.compile(f"({PROVINCE})?({CITY})?({COUNTY})?")
CUT_MARK = "****"


def place_levels(text: str) -> list[int]:
    """Where each recognised level ends: province, city, then the first county-or-township level after them
    (for 福建省龙岩市新罗区西城街道中山路12号: after 省, after 市, after 区)."""
    found = LEVELS.match(text)
    if found is None:
        return []
    return [found.end(group) for group in (1, 2, 3) if found.group(group)]


def mask_address(value: object) -> str | None:
    """地址: cut after the first 区/县/市/旗/镇/乡/街道 that follows the city, **** for the rest:
    福建省龙岩市新罗区西城街道中山路12号 → 福建省龙岩市新罗区****; without a county the township is that level
    (龙岩市东城街道九一路 → 龙岩市东城街道****); without either, the city (福建省龙岩市香港街W座 → 福建省龙岩市****).
    The kept part is always shorter than the address: one that ends at its county keeps one level less
    (福建省龙岩市新罗区 → 福建省龙岩市****), and text with no recognisable place is **** alone."""
    if value is None:
        return None
    text = as_text(value)
    if not text:
        return text
    ends = [end for end in place_levels(text) if end < len(text)]
    return (text[:ends[-1]] if ends else "") + CUT_MARK
