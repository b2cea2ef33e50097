"""Registered catalog entries made directly with the ORM (the catalog service is another domain's)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from govdata import clock
from govdata.auth.models import ApiToken
from govdata.auth.tokens import new_token, token_hash
from govdata.catalog.models import CatalogEntry, Field
from govdata.orgs.models import System, Unit
from govdata.storage.engines import Database

_serial = itertools.count(1)

PERSON_FIELDS: list[dict[str, Any]] = [
    {"name": "sfzh", "label": "公民身份号码", "data_type": "C", "length": 18, "is_key": True},
    {"name": "xm", "label": "姓名", "data_type": "C", "length": 50, "is_lookup": True, "is_required": True},
    {"name": "csrq", "label": "出生日期", "data_type": "D"},
    {"name": "zczb", "label": "金额", "data_type": "Y", "length": 18, "precision": 2},
    {"name": "nl", "label": "年龄", "data_type": "I"},
    {"name": "sfyx", "label": "是否有效", "data_type": "L"},
    {"name": "gxsj", "label": "更新时间", "data_type": "T"},
    {"name": "bz", "label": "备注", "data_type": "C", "length": 10},
]


def unit_id(database: Database, code: str) -> int:
    with database.read() as db:
        return db.execute(select(Unit.id).where(Unit.code == code)).scalar_one()


def make_entry(database: Database, *, unit: str = "gaj", fields: list[dict[str, Any]] | None = None,
               ingest_mode: str = "realtime", update_cycle: str = "daily", status: str = "registered",
               code: str | None = None, name: str | None = None) -> CatalogEntry:
    n = next(_serial)
    with database.write() as db:
        uid = db.execute(select(Unit.id).where(Unit.code == unit)).scalar_one()
        entry = CatalogEntry(code=code or f"T{unit.upper()}-{n:05d}-{clock.now().microsecond}", unit_id=uid,
                             name=name or f"测试资源{n}", category="department", category_code="3-01",
                             format="database", share_type="unconditional", open_type="closed",
                             update_cycle=update_cycle, ingest_mode=ingest_mode, status=status, version=1,
                             registered_at=clock.now())
        entry.fields = [Field(position=i, **spec) for i, spec in enumerate(fields or PERSON_FIELDS)]
        db.add(entry)
        db.flush()
        entry_id = entry.id
    with database.read() as db:
        loaded = db.get(CatalogEntry, entry_id)
        assert loaded is not None
        _ = loaded.fields, loaded.unit
        return loaded


def system_token(database: Database, unit: str = "gaj") -> dict[str, str]:
    """Bearer headers of a new credential of the unit's (demo) system."""
    token = new_token("gds")
    with database.write() as db:
        uid = db.execute(select(Unit.id).where(Unit.code == unit)).scalar_one()
        system = db.execute(select(System).where(System.unit_id == uid)).scalars().first()
        assert system is not None, f"no system for {unit}"
        db.add(ApiToken(token_hash=token_hash(token), prefix=token[:8], name="test", system_id=system.id,
                        expires_at=clock.now() + timedelta(days=1)))
    return {"Authorization": f"Bearer {token}"}
