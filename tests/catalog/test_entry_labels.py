"""The entry's field table says which fields are 必填; 本单位目录 has its own title, not 全市政务数据目录."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from govdata.auth.models import User
from govdata.catalog.models import CatalogEntry
from govdata.orgs.models import Unit


def test_field_table_has_a_required_column(web: Any, database: Any) -> None:
    with database.read() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.name == "人口基础信息")).scalar_one()
        required = [f.is_required for f in sorted(entry.fields, key=lambda f: f.position)]
    page = web("steward_gaj").get(f"/catalog/{entry.id}").text
    assert "<th>主键</th><th>必填</th>" in page
    shown = re.findall(r'data-testid="field-required">([^<]*)<', page)
    assert shown == ["是" if r else "否" for r in required]
    assert "是" in shown and "否" in shown


def test_own_unit_catalog_has_its_own_title(web: Any, database: Any) -> None:
    with database.read() as db:
        own = db.execute(select(User.unit_id).where(User.username == "steward_gaj")).scalar_one()
        other = db.execute(select(Unit.id).where(Unit.code == "mz")).scalar_one()
    steward = web("steward_gaj")
    mine = steward.get(f"/catalog?unit_id={own}").text
    assert "<title>本单位数据目录 · govdata</title>" in mine and "<h1>本单位数据目录</h1>" in mine
    city = steward.get("/catalog").text
    assert "<title>全市政务数据目录 · govdata</title>" in city
    assert "<h1>全市政务数据目录</h1>" in steward.get(f"/catalog?unit_id={other}").text
    assert steward.get("/catalog?unit_id=abc").status_code in (400, 422)
