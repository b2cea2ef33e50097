"""The API guide's multi-key sharing example asks for keys the demo seeds, so it returns all its records."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from govdata.catalog.models import CatalogEntry
from govdata.datastore.tables import resource_table

GUIDE = Path(__file__).parent.parent / "docs" / "api-guide.md"


def test_multi_key_example_uses_demo_keys(database):
    line = next(x for x in GUIDE.read_text(encoding="utf-8").splitlines()
                if "/records?sfzh=" in x and "," in x)
    match = re.search(r"/api/v1/share/(?P<code>[^/]+/\d+)/records\?(?P<query>[^\"]+)", line)
    assert match is not None
    keys = [v for part in match["query"].split("&") for v in part.removeprefix("sfzh=").split(",")]
    assert len(keys) == 3
    with database.read() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.code == match["code"])).scalar_one()
        assert entry.name == "人口基础信息"
        table = resource_table(entry)
        found = set(db.execute(select(table.c.sfzh).where(table.c.sfzh.in_(keys))).scalars())
    assert found == set(keys)
