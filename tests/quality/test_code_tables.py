"""Code tables: the demo's standards, the center edits them, others read; rules API names bad fields."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from govdata.quality.models import CodeTable
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.quality.factories import make_entry


def test_demo_seeds_the_standards(database: Database) -> None:
    with database.read() as db:
        tables = {t.code: t for t in db.execute(select(CodeTable)).scalars()}
    assert {v.value for v in tables["GB/T 2261.1"].values} == {"0", "1", "2", "9"}
    nations = {v.value: v.label for v in tables["GB/T 3304"].values}
    assert len(nations) == 58 and nations["01"] == "汉族" and nations["56"] == "基诺族"
    assert {v.value for v in tables["GB/T 2260-350800"].values} == {
        "350800", "350802", "350803", "350821", "350823", "350824", "350825", "350881"}


def test_center_creates_and_edits(web: Any, database: Database) -> None:
    admin = web("admin")
    made = admin.post("/quality/code-tables", {"code": "JYZT", "name": "经营状态", "standard": "",
                                               "values": "1,存续\n2,注销"})
    assert made.status_code == 303, made.text
    event = last_audit(database, action="code_table.manage")
    assert event is not None and '"values":2' in event.details
    path = made.headers["location"].split("?")[0]
    edited = admin.post(path, {"code": "JYZT", "name": "经营状态", "values": "1,存续\n2,注销\n3,吊销"})
    assert edited.status_code == 303
    assert "吊销" in admin.get(path).text
    dup = admin.post("/quality/code-tables", {"code": "JYZT", "name": "x", "values": "1,a"})
    assert dup.status_code == 409 and "已存在" in dup.text
    bad = admin.post(path, {"code": "JYZT", "name": "x", "values": "1,a\n1,b"})
    assert bad.status_code == 422 and 'id="err-values">代码值 1 重复' in bad.text
    blank = admin.get("/quality/code-tables/new").text
    assert "built-in method" not in blank and '<textarea name="values" rows="16"></textarea>' in blank
    nameless = admin.post("/quality/code-tables", {"code": "新 表", "name": "x", "values": "1,a"})
    assert nameless.status_code == 422 and 'id="err-code">请填写编号（字母、数字' in nameless.text
    assert 'value="新 表"' in nameless.text  # what was typed is kept
    with database.read() as db:
        table = db.execute(select(CodeTable).where(CodeTable.code == "JYZT")).scalar_one()
        assert len(table.values) == 3  # the refused edit changed nothing


@pytest.mark.parametrize(("user", "status"), [("admin", 303), ("bureau", 403), ("steward_gaj", 403)])
def test_who_edits_code_tables(web: Any, user: str, status: int) -> None:
    response = web(user).post("/quality/code-tables", {"code": "X1", "name": "x", "values": "1,a"})
    assert response.status_code == status


def test_everyone_reads_code_tables(web: Any) -> None:
    page = web("steward_mz").get("/quality/code-tables")
    assert page.status_code == 200 and "GB/T 3304" in page.text and "新建代码表" not in page.text


def test_rules_api_names_the_field(client: Any, token: Any, database: Database) -> None:
    entry = make_entry(database, unit="gaj")
    headers = token("steward_gaj")
    bad = client.put(f"/api/v1/quality/entries/{entry.id}/rules", headers=headers,
                     json={"rules": {"nl": [{"type": "pattern", "regex": "\\d+"}]}})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "nl" and "字符型" in bad.json()["error"]["message"]
    ok = client.put(f"/api/v1/quality/entries/{entry.id}/rules", headers=headers,
                    json={"rules": {"xb": [{"type": "code", "table": "GB/T 2261.1"}]}})
    assert ok.status_code == 200 and ok.json()["rules"]["xb"] == [{"type": "code", "table": "GB/T 2261.1"}]
    other = client.put(f"/api/v1/quality/entries/{entry.id}/rules", headers=token("steward_mz"),
                       json={"rules": {"xb": []}})
    assert other.status_code == 403
    refused = last_audit(database, action="quality.rule_manage")
    assert refused is not None and refused.outcome == "denied" and refused.actor_name == "steward_mz"
    saved = last_audit(database, action="quality.rule_manage", outcome="ok")
    assert saved is not None and saved.target_id == str(entry.id)
    scan = client.post(f"/api/v1/quality/entries/{entry.id}/scan", headers=token("bureau"))
    assert scan.status_code == 201 and scan.json()["rows_checked"] == 0
    assert client.post(f"/api/v1/quality/entries/{entry.id}/scan", headers=token("steward_mz")).status_code == 403
