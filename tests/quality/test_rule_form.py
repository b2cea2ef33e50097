"""The rule builder: rules → form → the same rules; bad text refused in Chinese beside its field; no JSON shown."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from govdata.actor import platform_actor
from govdata.errors import RuleViolation
from govdata.quality import rule_form
from govdata.quality.reports import run_scan
from govdata.quality.rules import check_field_rules
from govdata.quality.service import known_names, set_field_rules
from govdata.storage.engines import Database
from tests.quality.factories import insert_rows, load_entry, make_entry

ROUND_TRIPS: list[dict[str, list[dict[str, Any]]]] = [
    {"xm": [{"type": "required"}, {"type": "length", "min": 2, "max": 4}]},
    {"xm": [{"type": "pattern", "regex": "[\\u4e00-\\u9fa5]{2,4} "}, {"type": "pattern", "regex": "^张"}]},
    {"nl": [{"type": "range", "min": 0, "max": 150}, {"type": "type"}, {"type": "unique"}]},
    {"nl": [{"type": "range", "min": -1.5}]},
    {"csrq": [{"type": "range", "min": "1900-01-01", "max": "2100-12-31"}, {"type": "not_future"},
              {"type": "birth_matches", "idcard_field": "sfzh"}]},
    {"xb": [{"type": "code", "table": "GB/T 2261.1"}], "sfzh": [{"type": "idcard"}],
     "lxdh": [{"type": "phone"}], "yx": [{"type": "email"}]},
    {"xm": [{"type": "uscc"}], "nl": [{"type": "compare", "op": "<=", "other": "csrq"}]},
]


@pytest.mark.parametrize("rules", ROUND_TRIPS)
def test_rules_round_trip_through_the_form(database: Database, rules: dict[str, list[dict[str, Any]]]) -> None:
    entry = make_entry(database)
    form = rule_form.form_items(entry, rules)
    assert all(not value.startswith(("[{", "{\"")) for value in form.values()), form  # no JSON in any input
    parsed = rule_form.parse(entry, form)
    assert {k: v for k, v in parsed.items() if v} == rules
    assert set(parsed) == {f.name for f in entry.fields}  # every field: a removed rule is removed
    fields = {f.name: f for f in entry.fields}
    with database.read() as db:
        known = known_names(db)
    for name, raw in rules.items():
        if not any(r["type"] == "compare" and r["other"] == "csrq" for r in raw):  # nl vs csrq: types differ
            assert check_field_rules(entry, fields[name], parsed[name], known) == check_field_rules(
                entry, fields[name], raw, known)


def test_reference_round_trip(database: Database) -> None:
    target = make_entry(database, unit="mz", name="被引用")
    entry = make_entry(database)
    rules = {"xzqh": [{"type": "reference", "resource": target.code, "field": "xzqh"}]}
    form = rule_form.form_items(entry, rules)
    assert form == {"r.xzqh.0.type": "reference", "r.xzqh.0.ref": f"{target.code}|xzqh"}
    assert rule_form.parse(entry, form)["xzqh"] == rules["xzqh"]
    with database.write() as db:
        set_field_rules(db, platform_actor(), entry_id=entry.id, rules=rule_form.parse(entry, form))


BAD_INPUTS = [
    ({"r.xm.0.type": "length", "r.xm.0.min": "abc"}, "xm", "长度的最短应为非负整数，而不是「abc」"),
    ({"r.xm.0.type": "length", "r.xm.0.max": "-3"}, "xm", "长度的最长应为非负整数"),
    ({"r.nl.0.type": "range", "r.nl.0.max": "很多"}, "nl", "最大值应为数值"),
]


@pytest.mark.parametrize(("form", "field", "words"), BAD_INPUTS)
def test_bad_text_refused_in_chinese(database: Database, form: dict[str, str], field: str, words: str) -> None:
    entry = make_entry(database)
    with pytest.raises(RuleViolation) as caught:
        rule_form.parse(entry, form)
    assert caught.value.field == field and words in caught.value.message


@pytest.mark.parametrize(("form", "field", "words"), [
    *BAD_INPUTS,
    ({"r.xb.new.type": "code"}, "xb", "请选择代码表"),
    ({"r.nl.0.type": "compare", "r.nl.0.op": ""}, "nl", "请选择比较方式"),
    ({"r.csrq.0.type": "birth_matches"}, "csrq", "请选择本资源中的另一个信息项"),
    ({"r.xm.0.type": "length", "r.xm.0.min": "5", "r.xm.0.max": "2"}, "xm", "长度的最短大于最长"),
    ({"r.csrq.0.type": "range", "r.csrq.0.min": "2020-02-30"}, "csrq", "应为日期"),
    ({"r.xm.0.type": "required", "r.xm.1.type": "required"}, "xm", "同一类型的规则重复"),
])
def test_page_shows_the_error_beside_its_field_and_keeps_the_values(
        web: Any, database: Database, form: dict[str, str], field: str, words: str) -> None:
    entry = make_entry(database)
    page = web("steward_gaj").post(f"/quality/entries/{entry.id}/rules", form)
    assert page.status_code == 422
    beside = page.text.split(f'id="f-{field}"', 1)[1].split("</fieldset>", 1)[0]
    assert 'data-testid="field-error"' in beside and words in beside, beside
    for value in form.values():
        assert f'value="{value}"' in beside  # what was entered is still there
    assert "min/max" not in page.text and "regex" not in page.text.split("<main", 1)[1]
    assert load_entry(database, entry.id).fields[1].rules == "[]"  # nothing saved


def test_add_a_row_then_save_then_drop(web: Any, database: Database) -> None:
    entry = make_entry(database, rules={"xm": [{"type": "length", "max": 20}]})
    steward = web("steward_gaj")
    page = steward.get(f"/quality/entries/{entry.id}/rules")
    assert page.status_code == 200 and '{"type"' not in page.text and "[]" not in page.text
    assert 'name="r.xm.0.max" value="20"' in page.text
    added = steward.post(f"/quality/entries/{entry.id}/rules", {"r.xm.0.type": "length", "r.xm.0.max": "20",
                                                               "r.xb.new.type": "code", "add": "xb"})
    assert added.status_code == 200 and 'name="r.xb.0.table"' in added.text and "GB/T 2261.1" in added.text
    assert load_entry(database, entry.id).fields[2].rules == "[]"  # "添加" saves nothing
    saved = steward.post(f"/quality/entries/{entry.id}/rules", {
        "r.xm.0.type": "length", "r.xm.0.min": "2", "r.xm.0.max": "20",
        "r.xb.0.type": "code", "r.xb.0.table": "GB/T 2261.1", "r.xb.new.type": "required"})
    assert saved.status_code == 303
    stored = {f.name: orjson.loads(f.rules) for f in load_entry(database, entry.id).fields}
    assert stored["xm"] == [{"type": "length", "min": 2, "max": 20}]
    assert stored["xb"] == [{"type": "code", "table": "GB/T 2261.1"}, {"type": "required"}]
    shown = steward.get(f"/quality/entries/{entry.id}")
    assert "长度 2～20 个字" in shown.text and "代码表取值：GB/T 2261.1" in shown.text and '{"type"' not in shown.text
    dropped = steward.post(f"/quality/entries/{entry.id}/rules", {
        "r.xm.0.type": "length", "r.xm.0.min": "2", "r.xm.0.max": "20", "r.xm.0.drop": "1",
        "r.xb.0.type": "code", "r.xb.0.table": "GB/T 2261.1"})
    assert dropped.status_code == 303
    stored = {f.name: orjson.loads(f.rules) for f in load_entry(database, entry.id).fields}
    assert stored["xm"] == [] and stored["xb"] == [{"type": "code", "table": "GB/T 2261.1"}]


def test_the_new_row_offers_only_rules_that_fit_the_field(web: Any, database: Database) -> None:
    entry = make_entry(database, rules={"nl": [{"type": "unique"}]})
    page = web("steward_gaj").get(f"/quality/entries/{entry.id}/rules").text
    offered = page.split('name="r.nl.new.type"', 1)[1].split("</select>", 1)[0]
    assert "取值范围" in offered and "长度" not in offered and "统一社会信用代码" not in offered
    assert "唯一" not in offered  # already set, and not repeatable


def test_report_samples_are_a_table_with_chinese_headers(web: Any, database: Database) -> None:
    entry = make_entry(database, rules={"xm": [{"type": "length", "max": 2}]})
    insert_rows(database, entry, [{"sfzh": "350802199001010011", "xm": "欧阳修远"}])
    with database.write() as db:
        report = run_scan(db, platform_actor(), entry_id=entry.id, workdays=5)
    page = web("steward_gaj").get(f"/quality/reports/{report.id}").text
    table = page.split('data-testid="samples"', 1)[1].split("</table>", 1)[0]
    assert "<th>公民身份号码</th>" in table and "<th>姓名</th>" in table and "<td>欧阳修远</td>" in table
    assert "\\u" not in page and '{"' not in page
