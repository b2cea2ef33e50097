"""A field's 脱敏规则 in the catalog: only rules masking knows (and that suit the type), stored canonically; offered
as a list with Chinese labels on the form, shown by label on the detail page, in and out of Excel by label."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from govdata.catalog.models import CatalogEntry, Field
from tests.catalog.helpers import entry_payload
from tests.catalog.test_excel import _edit, _own_export, _upload
from tests.catalog.test_pages import form_data


def _with_rule(index: int, rule: str, **change: Any) -> dict[str, Any]:
    fields = entry_payload()["fields"]
    fields[index] = {**fields[index], "masking_rule": rule, **change}
    return entry_payload(fields=fields)


def _count(database: Any) -> int:
    with database.read() as db:
        return int(db.execute(select(func.count()).select_from(CatalogEntry)).scalar_one())


@pytest.mark.parametrize(("index", "rule", "change", "expected"), [
    (2, "mask_all", {}, "信息项 yzxm：脱敏规则“mask_all”不是可选值"),
    (2, "明文", {}, "不是可选值"),
    (2, "name:2", {}, "脱敏规则 name 不带参数"),
    (1, "number_band:0", {}, "number_band 的参数应为 1 到"),
    (1, "number_band:ten", {}, "number_band 的参数应为"),
    (1, "pseudonym:4", {}, "pseudonym 的参数应为 8 到 64"),
    (3, "name", {}, "信息项 djrq：脱敏规则 name 不适用于日期型信息项"),
    (1, "date_year", {"data_type": "N", "length": 8}, "date_year 不适用于数值型信息项"),
])
def test_a_rule_masking_does_not_know_is_refused_naming_the_field(client: Any, token: Any, database: Any,
                                                                  index: int, rule: str, change: dict[str, Any],
                                                                  expected: str) -> None:
    before = _count(database)
    response = client.post("/api/v1/catalog", json=_with_rule(index, rule, **change), headers=token("steward_gaj"))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == f"fields.{index}.masking_rule"
    assert expected in error["message"], error["message"]
    assert _count(database) == before


@pytest.mark.parametrize(("rule", "stored"), [
    ("name", "name"),
    (" NAME ", "name"),
    ("number_band：10000", "number_band:10000"),  # a full-width colon, as an IME types it
    ("pseudonym", "pseudonym"),
    ("suppress", "suppress"),
    ("", ""),
])
def test_rules_are_stored_canonically(client: Any, token: Any, rule: str, stored: str) -> None:
    response = client.post("/api/v1/catalog", json=_with_rule(2, rule), headers=token("steward_gaj"))
    assert response.status_code == 201, response.text
    assert response.json()["fields"][2]["masking_rule"] == stored


def test_the_form_offers_the_rules_by_label_and_keeps_a_field_s_own(web: Any, database: Any) -> None:
    steward = web("steward_gaj")
    page = steward.get("/catalog/new").text
    select_html = re.search(r'<select name="f0_masking_rule".*?</select>', page, re.S)
    assert select_html, "a select, not a text box"
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_html.group(0))
    assert ("", "默认（按敏感类型和级别）") in options and ("id_card", "身份证号（保留前6后4）") in options
    assert ("number_band:10000", "数值分段（每10000一段）") in options and ("name", "姓名（保留姓氏）") in options

    created = steward.post("/catalog/new", form_data(f1_masking_rule="number_band:5000", f0_masking_rule="clear"))
    assert created.status_code == 303, created.text
    entry_id = int(re.match(r"/catalog/(\d+)", created.headers["location"]).group(1))  # type: ignore[union-attr]
    edit = steward.get(f"/catalog/{entry_id}/edit").text
    assert '<option value="number_band:5000" selected>数值分段（每5000一段）</option>' in edit  # not offered, kept
    detail = steward.get(f"/catalog/{entry_id}").text
    assert "数值分段（每5000一段）" in detail and "不脱敏（明文）" in detail and "默认（按敏感类型和级别）" in detail


def test_a_bad_rule_on_the_form_is_named_and_nothing_saved(web: Any, database: Any) -> None:
    steward = web("steward_gaj")
    before = _count(database)
    response = steward.post("/catalog/new", form_data(f1_masking_rule="whatever"))
    assert response.status_code == 422
    assert "信息项第 2 行（jd）脱敏规则：信息项 jd：脱敏规则“whatever”不是可选值" in response.text
    assert _count(database) == before


def test_the_demo_detail_page_shows_labels(web: Any, database: Any) -> None:
    with database.read() as db:
        entry_id = db.execute(select(CatalogEntry.id).where(CatalogEntry.name == "户籍人口信息")).scalar_one()
    page = web("steward_gaj").get(f"/catalog/{entry_id}").text
    assert "身份证号（保留前6后4）" in page and "姓名（保留姓氏）" in page and "地址（保留到区县或乡镇街道）" in page
    assert "<td>id_card</td>" not in page


def test_excel_carries_rules_by_label_and_takes_codes_too(client: Any, token: Any, database: Any) -> None:
    steward = token("steward_gaj")
    exported = _own_export(client, steward)
    sheet = load_workbook(io.BytesIO(exported), read_only=True)["信息项"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    column = rows[0].index("脱敏规则")
    assert {r[column] for r in rows[1:]} >= {"身份证号（保留前6后4）", "姓名（保留姓氏）", None}

    names = rows[0].index("信息项名称")
    row = next(i for i, r in enumerate(rows, start=1) if r[names] == "xb")  # 性别, no rule stated
    typed = _edit(exported, "信息项", row, "脱敏规则", "number_band:5")
    response = _upload(client, steward, typed)
    assert response.status_code == 201, response.text
    with database.read() as db:
        stored = db.execute(select(Field.masking_rule).where(
            Field.entry_id.in_(response.json()["entry_ids"]), Field.name == "xb")).scalars().all()
    assert "number_band:5" in stored

    before = _count(database)
    bad = _upload(client, steward, _edit(exported, "信息项", row, "脱敏规则", "打码"))
    assert bad.status_code == 422
    problem = bad.json()["error"]["details"][0]
    assert problem["sheet"] == "信息项" and problem["row"] == row and problem["column"] == "脱敏规则"
    assert "脱敏规则“打码”不是可选值" in problem["message"]
    assert _count(database) == before
