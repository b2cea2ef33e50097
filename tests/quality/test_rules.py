"""Each rule type accepts good values and rejects bad ones; bad definitions are refused naming the field."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import orjson
import pytest

from govdata import clock
from govdata.actor import platform_actor
from govdata.errors import RuleViolation
from govdata.quality.service import set_field_rules
from govdata.quality.validator import build_validator
from govdata.storage.engines import Database
from tests.quality.factories import idcard, load_entry, make_entry

GOOD_ID = idcard(date(1990, 5, 17), 12)
BAD_ID = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")

CASES: list[tuple[str, list[dict[str, Any]], Any, Any]] = [
    # field, rules, good value, bad value
    ("xm", [{"type": "required"}], "张三", ""),
    ("xm", [{"type": "length", "min": 2, "max": 4}], "张小三", "张"),
    ("xm", [{"type": "pattern", "regex": "[\\u4e00-\\u9fa5]{2,4}"}], "李四", "li si"),
    ("nl", [{"type": "range", "min": 0, "max": 150}], 30, 151),
    ("nl", [{"type": "type"}], "42", "forty"),
    ("csrq", [{"type": "range", "min": "1900-01-01"}], "1950-01-01", "1899-12-31"),
    ("xb", [{"type": "code", "table": "GB/T 2261.1"}], "1", "3"),
    ("xzqh", [{"type": "code", "table": "GB/T 2260-350800"}], "350802", "110101"),
    ("xm", [{"type": "idcard"}], GOOD_ID, BAD_ID),
    ("xm", [{"type": "idcard"}], "11010519491231002X", "110105194912310021"),  # the standard's own example
    ("xm", [{"type": "idcard"}], GOOD_ID, "350802" + "19901332" + "0011"),
    ("xm", [{"type": "uscc"}], "91350100M000100Y43", "91350100M000100Y44"),
    ("lxdh", [{"type": "phone"}], "13905971234", "1390597123"),
    ("lxdh", [{"type": "phone"}], "0597-2345678", "phone"),
    ("yx", [{"type": "email"}], "zhang@longyan.gov.cn", "zhang@"),
    ("csrq", [{"type": "not_future"}], clock.today().isoformat(), (clock.today() + timedelta(days=1)).isoformat()),
    ("csrq", [{"type": "birth_matches", "idcard_field": "sfzh"}], "1990-05-17", "1990-05-18"),
    ("nl", [{"type": "compare", "op": "<=", "other": "csrq"}], None, None),
]


def _validator(database: Database, rules: dict[str, list[dict[str, Any]]]) -> Any:
    entry = make_entry(database)
    with database.write() as db:
        set_field_rules(db, platform_actor(), entry_id=entry.id, rules=rules)
    entry = load_entry(database, entry.id)
    with database.read() as db:
        validator = build_validator(db, entry)  # the quality rules alone (other domains register guards too)
    assert validator is not None, "the entry has rules"
    return validator


@pytest.mark.parametrize(("field", "rules", "good", "bad"), [c for c in CASES if c[2] is not None])
def test_rule_accepts_good_rejects_bad(database: Database, field: str, rules: list[dict[str, Any]],
                                       good: Any, bad: Any) -> None:
    validate = _validator(database, {field: rules})
    base = {"sfzh": GOOD_ID, "xm": "王五"}
    assert validate({**base, field: good}) == []
    problems = validate({**base, field: bad})
    assert [name for name, _ in problems] == [field], problems


def test_uniqueness_within_batch(database: Database) -> None:
    validate = _validator(database, {"lxdh": [{"type": "unique"}]})
    assert validate({"sfzh": GOOD_ID, "lxdh": "13900000001"}) == []
    assert validate({"sfzh": BAD_ID, "lxdh": "13900000001"})[0][0] == "lxdh"


def test_cross_field_compare(database: Database) -> None:
    fields = [("zzbh", "证照编号", "C", 20, True), ("fzrq", "发证日期", "D", None, False),
              ("yxqz", "有效期至", "D", None, False)]
    entry = make_entry(database, fields=fields)
    with database.write() as db:
        set_field_rules(db, platform_actor(), entry_id=entry.id,
                        rules={"fzrq": [{"type": "compare", "op": "<=", "other": "yxqz"}]})
    with database.read() as db:
        validate = build_validator(db, load_entry(database, entry.id))
    assert validate({"zzbh": "1", "fzrq": "2020-01-01", "yxqz": "2030-01-01"}) == []
    assert validate({"zzbh": "1", "fzrq": "2031-01-01", "yxqz": "2030-01-01"})[0][0] == "fzrq"


def test_reference_rule(database: Database) -> None:
    from tests.quality.factories import insert_rows

    target = make_entry(database, name="被引用")
    insert_rows(database, target, [{"sfzh": GOOD_ID, "xm": "甲"}])
    validate = _validator(database, {"xm": [{"type": "reference", "resource": target.code, "field": "sfzh"}]})
    assert validate({"sfzh": BAD_ID, "xm": GOOD_ID}) == []
    assert validate({"sfzh": BAD_ID, "xm": BAD_ID})[0][0] == "xm"


def test_reference_rule_in_scan_across_types(database: Database) -> None:
    """A text field referring to a number key is compared as text (PostgreSQL refuses varchar = bigint)."""
    from govdata.quality.reports import run_scan
    from tests.quality.factories import insert_rows

    target = make_entry(database, name="编号表", fields=[("bh", "编号", "I", None, True)])
    insert_rows(database, target, [{"bh": 7}, {"bh": 8}])
    entry = make_entry(database, fields=[("sfzh", "编号", "C", 18, True), ("xm", "引用编号", "C", 10, False)],
                       rules={"xm": [{"type": "reference", "resource": target.code, "field": "bh"}]})
    insert_rows(database, entry, [{"sfzh": "a", "xm": "7"}, {"sfzh": "b", "xm": "9"}, {"sfzh": "c", "xm": None}])
    with database.write() as db:
        report = run_scan(db, platform_actor(), entry_id=entry.id, workdays=5)
    result = orjson.loads(report.results)[0]
    assert result["failed"] == 1 and result["samples"][0]["sfzh"] == "b"


BAD_DEFINITIONS = [
    ("nl", [{"type": "length", "max": 3}], "字符型"),
    ("xm", [{"type": "range", "min": 1}], "数值或日期"),
    ("xm", [{"type": "pattern", "regex": "([a-z]"}], "无法编译"),
    ("xm", [{"type": "pattern", "regex": "(a+)+$"}], "嵌套量词"),
    ("xm", [{"type": "length", "max": 80}], "超过字段长度"),
    ("xm", [{"type": "code", "table": "NOPE"}], "不存在"),
    ("xm", [{"type": "frobnicate"}], "未知的规则类型"),
    ("csrq", [{"type": "birth_matches", "idcard_field": "nope"}], "不在本资源中"),
    ("xm", [{"type": "reference", "resource": "NOPE", "field": "x"}], "不存在"),
    ("csrq", [{"type": "range", "min": "2020-13-01"}], "日期"),
    ("nl", [{"type": "compare", "op": "<", "other": "csrq"}], "不能与字段"),
]


@pytest.mark.parametrize(("field", "rules", "words"), BAD_DEFINITIONS)
def test_bad_rule_definitions_refused(database: Database, field: str, rules: list[dict[str, Any]],
                                      words: str) -> None:
    entry = make_entry(database)
    with pytest.raises(RuleViolation) as caught, database.write() as db:
        set_field_rules(db, platform_actor(), entry_id=entry.id, rules={field: rules})
    assert caught.value.field == field
    assert words in caught.value.message
    assert load_entry(database, entry.id).fields[1].rules == "[]"


def test_slow_regex_bounded(database: Database) -> None:
    # Passes the nested-quantifier heuristic, but backtracks polynomially (n^11) on a near-match.
    slow = "(.*?,){11}P"
    entry = make_entry(database)
    started = time.perf_counter()
    with pytest.raises(RuleViolation) as caught, database.write() as db:
        set_field_rules(db, platform_actor(), entry_id=entry.id, rules={"xm": [{"type": "pattern", "regex": slow}]})
    assert caught.value.field == "xm" and "超时" in caught.value.message
    assert time.perf_counter() - started < 5


def test_validator_times_out_instead_of_hanging() -> None:
    from govdata.quality.validator import _pattern

    check = _pattern({"regex": "(.*?,){11}P"})
    started = time.perf_counter()
    assert check("1," * 30, {}) == "格式校验超时，按不合格处理"
    assert time.perf_counter() - started < 3
