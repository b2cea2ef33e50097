"""Test data for sharing: registered entries made with the ORM, their tables, rows inserted with Core."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from govdata import clock
from govdata.actor import platform_actor
from govdata.auth import credentials
from govdata.catalog.models import CatalogEntry, EntryStatus, Field, ShareType
from govdata.config import Settings
from govdata.datastore.tables import create_tables
from govdata.orgs.models import System, Unit
from govdata.storage.engines import Database

_serial = itertools.count(1)

FIELDS = [
    ("zjhm", "证件号码", "C", 18, True, False),
    ("xm", "姓名", "C", 50, False, True),
    ("dz", "地址", "C", 200, False, False),
    ("dh", "电话", "C", 20, False, False),
]


def unit_id(database: Database, code: str) -> int:
    with database.read() as db:
        return db.execute(select(Unit.id).where(Unit.code == code)).scalar_one()


def system_id(database: Database, unit_code: str) -> int:
    with database.read() as db:
        return db.execute(select(System.id).join(Unit).where(Unit.code == unit_code)
                          .order_by(System.id)).scalars().first()  # type: ignore[return-value]


def make_entry(database: Database, *, unit_code: str = "gaj", share_type: ShareType = ShareType.CONDITIONAL,
               rows: list[dict[str, Any]] | None = None, legal_basis: str = "《测试法》第一条",
               name: str | None = None, fields: list[tuple[str, str, str, int, bool, bool]] | None = None) -> str:
    """A registered entry of `unit_code` with a data table holding `rows`; returns its code."""
    n = next(_serial)
    code = f"T{unit_code.upper()}{n:04d}{clock.now().strftime('%f')}"
    with database.write() as db:
        entry = CatalogEntry(code=code, unit_id=unit_id(database, unit_code), name=name or f"测试资源{n}",
                             summary="测试",
                             category="department", category_code="3-01", format="database",
                             share_type=share_type.value, legal_basis=legal_basis, open_type="closed",
                             update_cycle="daily", ingest_mode="realtime", status=EntryStatus.REGISTERED.value,
                             version=1, registered_at=clock.now())
        entry.fields = [Field(position=i, name=fname, label=label, data_type=t, length=length, is_key=key,
                              is_lookup=lookup)
                        for i, (fname, label, t, length, key, lookup) in enumerate(fields or FIELDS)]
        db.add(entry)
        db.flush()
        current, _history = create_tables(db.connection(), entry)
        if rows:
            now = clock.now()
            db.execute(insert(current), [{**r, "_updated_at": now, "_deleted": False} for r in rows])
    return code


PEOPLE_ROWS = [
    {"zjhm": "350802199001010011", "xm": "张三", "dz": "新罗区一号", "dh": "13800000001"},
    {"zjhm": "350802199001010022", "xm": "李四", "dz": "新罗区二号", "dh": "13800000002"},
    {"zjhm": "350802199001010033", "xm": "王_五", "dz": "新罗区三号", "dh": "13800000003"},
    {"zjhm": "%", "xm": "百分号", "dz": "x", "dh": "x"},
]


def token_for(database: Database, settings: Settings, unit_code: str) -> str:
    with database.write() as db:
        issued = credentials.issue_credential(db, platform_actor(), settings, system_id=system_id(database, unit_code))
        return issued.token


def later(days: int = 90) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()
