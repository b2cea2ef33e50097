"""The demo's rules fit the base databases as the shared definition describes them (and run twice)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import func, select

from govdata.catalog.models import CatalogEntry
from govdata.quality.demo import seed
from govdata.quality.models import CodeTable
from govdata.storage.engines import Database
from tests.quality.factories import load_entry


def test_demo_rules_on_base_databases(database: Database, settings: Any) -> None:
    # The template database holds the whole demo: the catalog's base databases with the quality rules on them.
    with database.read() as db:
        entries = dict(db.execute(select(CatalogEntry.name, CatalogEntry.id).where(
            CatalogEntry.name.in_(["人口基础信息", "法人基础信息", "电子证照信息"]))).all())
    assert len(entries) == 3
    ctx = SimpleNamespace(database=database, settings=settings)
    seed(ctx)
    seed(ctx)
    person = load_entry(database, entries["人口基础信息"])
    rules = {f.name: orjson.loads(f.rules) for f in person.fields}
    assert rules["sfzh"] == [{"type": "idcard"}]
    assert {"type": "code", "table": "GB/T 3304"} in rules["mz"]
    legal = load_entry(database, entries["法人基础信息"])
    assert {f.name: orjson.loads(f.rules) for f in legal.fields}["tyshxydm"] == [{"type": "uscc"}]
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(CodeTable)).scalar() == 3
