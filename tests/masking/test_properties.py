"""Properties over generated sensitive values: a masked value never holds the original (nor, for a 身份证号, its
birth date), masking is deterministic, pseudonyms join equal values and only those, and a rule text masking does
not know never lets a value through."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from govdata.catalog import masking_rules
from govdata.masking import identifiers, people, values
from govdata.masking.masker import masker_for
from govdata.masking.people import COMPOUND_SURNAMES
from govdata.masking.rules import RuleSource, rule_for

SETTINGS = settings(deadline=None, max_examples=200)
DIGIT = st.sampled_from("0123456789")
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
SURNAMES = st.sampled_from(["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "林", "郭", *COMPOUND_SURNAMES])
REGIONS = st.sampled_from(["350802", "350803", "350821", "350823", "350824", "350825", "350881", "110105", "310115"])


@st.composite
def id_cards(draw: Any) -> str:
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    body = f"{draw(REGIONS)}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit


mobiles = st.builds(lambda second, rest: f"1{second}{rest}", st.sampled_from("3456789"),
                    st.text(DIGIT, min_size=9, max_size=9))
landlines = st.builds(lambda area, local: f"{area}-{local}", st.sampled_from(["0597", "010", "021", "0591"]),
                      st.text(DIGIT, min_size=7, max_size=8).filter(lambda s: s[0] != "0"))
names = st.builds(lambda surname, given: surname + given, SURNAMES, st.text(CJK, min_size=1, max_size=3))
bank_cards = st.builds(lambda rest: "62" + rest, st.text(DIGIT, min_size=14, max_size=17))
emails = st.builds(lambda local, domain: f"{local}@{domain}", st.from_regex(r"[a-z0-9._]{1,20}", fullmatch=True),
                   st.sampled_from(["example.com", "ly.gov.cn", "163.com"]))
plates = st.builds(lambda office, rest: f"闽{office}{rest}", st.sampled_from("ABCDEFGHJK"),
                   st.from_regex(r"[A-Z0-9]{5,6}", fullmatch=True))
PLACES = st.sampled_from(["福建省龙岩市新罗区", "福建省龙岩市永定区", "福建省龙岩市上杭县", "龙岩市长汀县",
                          "福建省漳平市", "北京市朝阳区", "新罗区", "福建省龙岩市"])
TOWNS = st.sampled_from(["", "西城街道", "东城街道", "古田镇", "岩山镇", "万安乡"])
STREETS = st.builds(lambda road, number: f"{road}路{number}号", st.text(CJK, min_size=1, max_size=4),
                    st.integers(1, 999))
addresses = st.tuples(PLACES, TOWNS, STREETS)


def _hides(masked: Any, original: str) -> None:
    assert masked is not None
    assert original not in masked


@SETTINGS
@given(id_cards())
def test_id_card_never_shows_the_number_or_the_birth_date(number: str) -> None:
    masked = identifiers.mask_id_card(number)
    _hides(masked, number)
    assert number[6:14] not in masked  # the 8 birth-date digits
    assert masked == identifiers.mask_id_card(number) == identifiers.mask_id_card(number.lower())
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:] and len(masked) == 18


SHAPES = {"mobile": (mobiles, identifiers.mask_mobile), "phone": (mobiles, identifiers.mask_phone),
          "landline": (landlines, identifiers.mask_landline), "phone_landline": (landlines, identifiers.mask_phone),
          "bank_card": (bank_cards, identifiers.mask_bank_card), "email": (emails, identifiers.mask_email),
          "plate": (plates, identifiers.mask_plate), "name": (names, people.mask_name),
          "address": (addresses.map("".join), people.mask_address)}


@pytest.mark.parametrize("kind", SHAPES)
@SETTINGS
@given(data=st.data())
def test_a_masked_value_never_holds_the_original_and_is_deterministic(kind: str, data: Any) -> None:
    values_of, mask = SHAPES[kind]
    value = data.draw(values_of)
    masked = mask(value)
    _hides(masked, value)
    assert mask(value) == masked


@SETTINGS
@given(mobiles)
def test_mobile_keeps_3_and_4(number: str) -> None:
    masked = identifiers.mask_mobile(number)
    assert masked is not None and masked[:3] == number[:3] and masked[3:7] == "****" and masked[7:] == number[7:]


@SETTINGS
@given(names)
def test_name_keeps_only_the_surname(name: str) -> None:
    masked = people.mask_name(name)
    assert masked is not None and masked.rstrip("*") in (name[:1], name[:2]) and len(masked) == len(name)


@SETTINGS
@given(addresses)
def test_address_never_shows_the_street(parts: tuple[str, str, str]) -> None:
    place, town, street = parts
    masked = people.mask_address(place + town + street)
    assert masked is not None and street not in masked and masked.endswith("****")


@SETTINGS
@given(bank_cards)
def test_bank_card_keeps_6_and_4(number: str) -> None:
    masked = identifiers.mask_bank_card(number)
    assert masked is not None and masked[:6] == number[:6] and masked[-4:] == number[-4:]


@SETTINGS
@given(st.text(), st.text())
def test_pseudonyms_join_equal_values_and_only_those(first: str, second: str) -> None:
    pseudonym = values.pseudonymizer("platform-secret", 16)
    assert pseudonym(first) == values.pseudonymizer("platform-secret", 16)(first)
    if first.strip() != second.strip():
        assert pseudonym(first) != pseudonym(second)
    if first.strip():
        assert pseudonym(first) != first.strip()


def _is_rule(text: str) -> bool:
    try:
        masking_rules.parse(text)
    except ValueError:
        return False
    return True


near_misses = st.one_of(
    st.text(max_size=32),
    st.builds(lambda name, junk: name + junk, st.sampled_from(["clear", "CLEAR", "id_card", "number_band", "明文"]),
              st.text(max_size=6)),
)


@SETTINGS
@given(near_misses, st.one_of(id_cards(), names, mobiles, st.text()))
def test_a_rule_masking_does_not_know_never_lets_a_value_through(text: str, value: str) -> None:
    assume(text.strip() and not _is_rule(text))
    field = SimpleNamespace(name="f", data_type="C", sensitivity="none", security_level="L1", masking_rule=text)
    assert rule_for(field).source is RuleSource.INVALID
    assert masker_for([field], key="platform-secret").mask_row({"f": value}) == {"f": None}
