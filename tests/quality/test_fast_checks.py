"""The fast 身份证 and 统一社会信用代码 checks agree with python-stdnum, value by value and column by column."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from govdata import clock
from govdata.quality import checks

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def idcard_reference(value: Any) -> bool:
    """GB 11643 as the platform defines a good number: stdnum's check digit, a real birth date 1850..today."""
    if not isinstance(value, str) or len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return False
    if ric.calc_check_digit(value) != value[17].upper():
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return born.year >= 1850 and born <= clock.today()


def uscc_reference(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 18 and uscc.is_valid(value)


@st.composite
def idcards(draw: st.DrawFn) -> str:
    """Numbers near the good ones: real and impossible dates, right and wrong check characters, x for X."""
    region = draw(st.text("0123456789", min_size=6, max_size=6))
    year = draw(st.integers(1800, 2200))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32))
    body = f"{region}{year:04d}{month:02d}{day:02d}{draw(st.integers(0, 999)):03d}"
    check = ric.calc_check_digit(body + "0")
    last = draw(st.sampled_from([check, check, check.lower(), *"0123456789X"]))
    return body + last


@st.composite
def good_idcards(draw: st.DrawFn) -> str:
    region = draw(st.text("0123456789", min_size=6, max_size=6))
    born = draw(st.dates(min_value=date(1850, 1, 1), max_value=clock.today()))
    body = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + ric.calc_check_digit(body + "0")


NOISE = st.text(alphabet="0123456789Xx ０１９٣-_+abcIOSVZ" + USCC_ALPHABET, min_size=15, max_size=20)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    body = draw(st.text("0123456789", min_size=8, max_size=8)) + draw(st.text(USCC_ALPHABET, min_size=9,
                                                                                  max_size=9))
    check = uscc.calc_check_digit(body)
    last = draw(st.sampled_from([check, check, check.lower(), *USCC_ALPHABET[:12]]))
    code = body + last
    return code.lower() if draw(st.booleans()) and draw(st.booleans()) else code


@settings(max_examples=300, deadline=None)
@given(st.one_of(idcards(), NOISE))
@example("11010519491231002X")  # the standard's own example
@example("11010519491231002x")
@example("３５０８０２１９８８０２２９００５１")
def test_idcard_agrees_with_stdnum(value: str) -> None:
    assert checks.idcard_ok(value) is idcard_reference(value)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(idcards(), idcards(), NOISE), max_size=30))
def test_idcard_column_screen_agrees_with_stdnum(values: list[str]) -> None:
    assert checks.idcard_failures(values) == [i for i, v in enumerate(values) if not idcard_reference(v)]


@settings(max_examples=100, deadline=None)
@given(st.lists(good_idcards(), min_size=1, max_size=30), st.data())
def test_idcard_column_of_good_numbers_takes_the_fast_path(values: list[str], data: st.DataObject) -> None:
    """A uniform column (the usual block) is decided by the screen; one spoiled value is still found."""
    assert checks.idcard_failures(values) == []
    spoiled = data.draw(st.integers(0, len(values) - 1))
    wrong = "0" if values[spoiled][17] != "0" else "1"
    values[spoiled] = values[spoiled][:17] + wrong
    assert checks.idcard_failures(values) == [spoiled]


@settings(max_examples=300, deadline=None)
@given(st.one_of(usccs(), NOISE))
@example("91350100M000100Y43")
@example("91350100m000100y43")
def test_uscc_agrees_with_stdnum(value: str) -> None:
    assert checks.uscc_ok(value) is uscc_reference(value)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(usccs(), usccs(), NOISE), max_size=30))
def test_uscc_column_screen_agrees_with_stdnum(values: list[str]) -> None:
    assert checks.uscc_failures(values) == [i for i, v in enumerate(values) if not uscc_reference(v)]


def test_non_text_values_are_refused_like_one_by_one() -> None:
    values: list[Any] = ["11010519491231002X", 110105194912310020, None, "11010519491231002X"]
    assert checks.idcard_failures(values) == [1, 2]
    assert checks.uscc_failures(["91350100M000100Y43", 7, "91350100M000100Y43"]) == [1]


def test_birth_date_verdicts_follow_today() -> None:
    """A birth date refused as in the future is accepted once that day has come (the cache follows today)."""
    born = clock.today()
    body = f"350802{born:%Y%m%d}001"
    number = body + ric.calc_check_digit(body + "0")
    try:
        checks._TODAY[0] = born.replace(year=born.year - 1)
        checks._BIRTHS_OK.clear()
        assert not checks.idcard_ok(number) and checks.idcard_failures([number]) == [0]
    finally:
        checks.refresh_today()
    assert checks.idcard_ok(number) and checks.idcard_failures([number]) == []
