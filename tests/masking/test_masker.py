"""Which rule applies (`rule_for`, fail closed), the per-field choice, the `Masker` on dict and tuple rows, and the
library on the demo catalog's real fields and the demo population table's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from govdata.catalog.models import CatalogEntry, MaskingRule
from govdata.config import Settings
from govdata.datastore.tables import resource_table
from govdata.masking.masker import Visibility, masker_for, rules_for
from govdata.masking.rules import Rule, RuleSource, default_rule, rule_for
from govdata.storage.engines import Database

KEY = "platform-secret"


@dataclass(frozen=True)
class F:
    """A field snapshot (what a caller may cache instead of the ORM object)."""

    name: str
    masking_rule: str = ""
    sensitivity: str = "none"
    security_level: str = "L1"
    data_type: str = "C"


@pytest.mark.parametrize(("sensitivity", "level", "expected"), [
    ("none", "L1", MaskingRule.CLEAR),
    ("none", "L2", MaskingRule.CLEAR),
    ("none", "L3", MaskingRule.SUPPRESS),
    ("none", "L4", MaskingRule.SUPPRESS),
    ("personal", "L1", MaskingRule.SUPPRESS),
    ("commercial", "L2", MaskingRule.SUPPRESS),
    ("personal", "L4", MaskingRule.SUPPRESS),
    ("", "", MaskingRule.SUPPRESS),  # unknown sensitivity or level: sensitive
    ("none", "L9", MaskingRule.SUPPRESS),
    ("secret", "L1", MaskingRule.SUPPRESS),
])
def test_a_field_with_no_rule_is_clear_only_when_not_sensitive_and_l1_or_l2(sensitivity: str, level: str,
                                                                          expected: MaskingRule) -> None:
    assert default_rule(sensitivity=sensitivity, security_level=level).name is expected
    rule = rule_for(F("f", sensitivity=sensitivity, security_level=level))
    assert rule.name is expected and rule.source is RuleSource.DEFAULT


@pytest.mark.parametrize(("field", "expected"), [
    (F("xm", "name", "personal", "L3"), Rule(MaskingRule.NAME)),
    (F("xm", " NAME ", "personal", "L3"), Rule(MaskingRule.NAME)),
    (F("zjhm", "clear", "personal", "L2"), Rule(MaskingRule.CLEAR)),  # the catalog said so
    # L3/L4 never clear by the field's own rule (第二十一条: only a grant, with a reason)
    (F("zjhm", "clear", "personal", "L4"), Rule(MaskingRule.SUPPRESS, source=RuleSource.DEFAULT)),
    (F("srje", "number_band:10000", "personal", "L3", "Y"), Rule(MaskingRule.NUMBER_BAND, 10000)),
    (F("nl", "number_band", data_type="I"), Rule(MaskingRule.NUMBER_BAND, 10)),
    (F("sfzh", "pseudonym", "personal", "L4"), Rule(MaskingRule.PSEUDONYM, 16)),
    (F("csrq", "date_month", data_type="D"), Rule(MaskingRule.DATE_MONTH)),
    (F("xm", "mask_everything", "none", "L1"), Rule(MaskingRule.SUPPRESS, source=RuleSource.INVALID)),
    (F("csrq", "date_year", data_type="N"), Rule(MaskingRule.SUPPRESS, source=RuleSource.INVALID)),
    (F("x", "clear:1"), Rule(MaskingRule.SUPPRESS, source=RuleSource.INVALID)),
    (F("x", "number_band:0", data_type="N"), Rule(MaskingRule.SUPPRESS, source=RuleSource.INVALID)),
])
def test_the_field_s_own_rule_wins_and_a_rule_not_understood_suppresses(field: F, expected: Rule) -> None:
    assert rule_for(field) == expected


FIELDS = [F("sfzh", "id_card", "personal", "L4"), F("xm", "name", "personal", "L3"), F("xb"),
          F("csrq", data_type="D"), F("hjdz", "", "personal", "L3"), F("lxdh", "phone", "personal", "L3")]
ROW = {"sfzh": "350802198503121234", "xm": "欧阳娜娜", "xb": "2", "csrq": date(1985, 3, 12),
       "hjdz": "福建省龙岩市新罗区西城街道中山路12号", "lxdh": "0597-2345678"}
MASKED = {"sfzh": "350802********1234", "xm": "欧阳**", "xb": "2", "csrq": date(1985, 3, 12), "hjdz": None,
          "lxdh": "0597-*****78"}


def test_masked_is_the_default_and_a_row_keeps_its_columns_in_order() -> None:
    masker = masker_for(FIELDS, key=KEY)
    masked = masker.mask_row({**ROW, "extra": "not asked for"})
    assert masked == MASKED and list(masked) == [f.name for f in FIELDS]  # no extra key, in field order
    assert masker.mask_row({"sfzh": "350802198503121234"})["xm"] is None  # missing: None
    assert masker.describe() == {"sfzh": "id_card", "xm": "name", "xb": "clear", "csrq": "clear",
                                 "hjdz": "suppress", "lxdh": "phone"}
    assert not masker.is_clear


def test_tuples_in_column_order() -> None:
    masker = masker_for(FIELDS, key=KEY)
    assert masker.columns == ("sfzh", "xm", "xb", "csrq", "hjdz", "lxdh")
    assert masker.mask_tuple(tuple(ROW.values())) == tuple(MASKED.values())
    with pytest.raises(ValueError, match="6 columns"):
        masker.mask_tuple(("350802198503121234",))
    assert masker.mask_rows([ROW, ROW]) == [MASKED, MASKED]
    assert masker.mask_value("xm", "司马相如") == "司马**"
    with pytest.raises(KeyError):
        masker.mask_value("nope", "x")


def test_a_provider_may_choose_a_personal_field_in_clear() -> None:
    choices = {"xm": Visibility.CLEAR, "sfzh": "masked", "lxdh": "yes", "hjdz": "CLEAR", "gone": Visibility.CLEAR}
    masker = masker_for(FIELDS, key=KEY, choices=choices)
    masked = masker.mask_row(ROW)
    assert masked["xm"] == "欧阳娜娜"  # chosen in clear
    assert masked["sfzh"] == "350802********1234"  # masked, as asked
    assert masked["lxdh"] == "0597-*****78"  # not a choice masking knows: masked
    assert masked["hjdz"] is None  # only the exact choice "clear" means clear
    assert masker.rules["xm"].source is RuleSource.CHOICE
    assert [name for name, _ in rules_for(FIELDS, choices=choices)] == [f.name for f in FIELDS]  # "gone" ignored


def test_all_clear_tells_the_caller_it_may_skip_masking() -> None:
    assert masker_for([F("xb"), F("mz", security_level="L2")], key=KEY).is_clear
    assert masker_for(FIELDS, key=KEY, choices={f.name: "clear" for f in FIELDS}).is_clear
    assert masker_for([], key=KEY).mask_row(ROW) == {}


def test_pseudonyms_need_the_key_and_join_across_tables() -> None:
    people = masker_for([F("sfzh", "pseudonym", "personal", "L4")], key=KEY)
    licences = masker_for([F("czrsfzh", "pseudonym", "personal", "L4"), F("zzlx")], key=KEY)
    other_platform = masker_for([F("sfzh", "pseudonym", "personal", "L4")], key="another-secret")
    number = "350802198503121234"
    assert people.mask_row({"sfzh": number})["sfzh"] == licences.mask_tuple((number, "结婚证"))[0]
    assert people.mask_row({"sfzh": number}) != other_platform.mask_row({"sfzh": number})
    with pytest.raises(ValueError, match="secret key"):
        masker_for([F("sfzh", "pseudonym", "personal", "L4")], key="")
    assert masker_for([F("xm", "name")], key="").mask_value("xm", "张三") == "张*"  # no pseudonym: no key needed


def test_number_bands_and_dates_through_the_masker() -> None:
    masker = masker_for([F("yjje", "number_band:500", data_type="Y"), F("csrq", "date_year", data_type="D")],
                        key=KEY)
    assert masker.mask_tuple(("1234.50", date(1985, 3, 12))) == ("1000-1500", "1985")


def test_the_demo_catalog_states_only_rules_masking_knows(database: Database) -> None:
    with database.read() as db:
        entries = db.execute(select(CatalogEntry)).scalars().all()
        rules = {(f.masking_rule, rule_for(f).source) for e in entries for f in e.fields}
    assert rules, "the demo has a catalog"
    assert all(source is not RuleSource.INVALID for _, source in rules)
    assert {text for text, _ in rules} >= {"id_card", "name", "address", "phone", ""}


def test_demo_population_rows_leave_masked(database: Database, settings: Settings) -> None:
    """The base population table's real rows under the demo catalog's own fields (the ORM objects), and under
    the same fields with no rule stated (the defaults)."""
    with database.read() as db:
        base = db.execute(select(CatalogEntry).where(CatalogEntry.name == "人口基础信息")).scalars().one()
        table = resource_table(base)
        rows = [dict(r._mapping) for r in db.execute(select(*(table.c[f.name] for f in base.fields)).limit(200))]
        masker = masker_for(base.fields, key=settings.key)
        unstated = masker_for([F(f.name, "", f.sensitivity, f.security_level, f.data_type) for f in base.fields],
                              key=settings.key)
    assert masker.describe() == {"sfzh": "id_card", "xm": "name", "xb": "clear", "mz": "clear", "csrq": "clear",
                                 "hjdz": "address", "xzqh": "clear", "lxdh": "phone"}
    assert len(rows) == 200
    for row in rows:
        masked = masker.mask_row(row)
        for name in ("sfzh", "xm", "hjdz", "lxdh"):
            assert str(row[name]) not in str(masked[name]), (name, row[name], masked[name])
        assert masked["sfzh"][6:14] == "********" and masked["hjdz"].startswith("福建省龙岩市")
        assert masked["lxdh"][3:7] == "****"
        assert masked["csrq"] == row["csrq"] and masked["xzqh"] == row["xzqh"]  # L1, not personal: in clear
        defaults = unstated.mask_row(row)
        assert defaults["sfzh"] is None and defaults["xm"] is None and defaults["hjdz"] is None
        assert defaults["xb"] == row["xb"]
