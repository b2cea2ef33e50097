"""Open-data test helpers: an openable entry with rows, published through the API as the bureau."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select

from govdata import clock
from govdata.actor import Method, platform_actor
from govdata.auth.service import actor_for_user, find_user_by_name
from govdata.catalog.models import CatalogEntry, EntryStatus, Field
from govdata.datastore.tables import create_tables
from govdata.opendata import accounts
from govdata.opendata.models import OpenDataset
from govdata.opendata.schemas import AppKeyCreate, PublicSignUp
from govdata.storage.engines import Database
from tests.conftest import DEMO_PASSWORD
from tests.quality.factories import insert_rows, load_entry, unit_id

_seq = itertools.count(1)
# name, label, type, length, key, sensitivity, level, rule
COMPANY = [
    ("tyshxydm", "统一社会信用代码", "C", 18, True, "none", "L1", ""),
    ("jgmc", "机构名称", "C", 200, False, "none", "L1", ""),
    ("fddbr", "法定代表人", "C", 50, False, "personal", "L3", "name"),
    ("lxdh", "联系电话", "C", 20, False, "personal", "L3", "phone"),
    ("zczb", "注册资本", "Y", 18, False, "none", "L1", ""),
]


def openable(database: Database, *, unit: str = "scjg", fields: list[tuple[Any, ...]] = COMPANY,
             open_type: str = "public", rows: list[dict[str, Any]] | None = None) -> CatalogEntry:
    """A registered entry of `unit` with `fields` and `rows` in its table."""
    n = next(_seq)
    with database.write() as db:
        entry = CatalogEntry(code=f"O{unit.upper()}-{n:04d}-{clock.now():%H%M%S%f}", unit_id=unit_id(database, unit),
                             name=f"开放测试数据{n}", summary="测试用的开放数据集", category="department",
                             category_code="3-03", format="database", share_type="unconditional", open_type=open_type,
                             update_cycle="daily", ingest_mode="realtime", status=EntryStatus.REGISTERED.value,
                             version=1)
        for pos, (name, label, kind, length, key, sensitivity, level, rule) in enumerate(fields):
            entry.fields.append(Field(position=pos, name=name, label=label, data_type=kind, length=length,
                                      precision=2 if kind == "Y" else None, is_key=key, is_lookup=key,
                                      is_required=key, sensitivity=sensitivity, security_level=level,
                                      masking_rule=rule))
        db.add(entry)
        db.flush()
        create_tables(db.connection(), entry)
        entry_id = entry.id
    entry = load_entry(database, entry_id)
    if rows:
        insert_rows(database, entry, rows)
    return entry


def companies(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"tyshxydm": f"91350802{i:010d}", "jgmc": f"=HYPERLINK(\"x\")公司{i}" if i == start else f"测试公司{i}",
             "fddbr": f"欧阳{'娜' * (1 + i % 2)}{i}", "lxdh": f"138{i:08d}", "zczb": f"{100 + i}.50"}
            for i in range(start, start + n)]


def publish(client: Any, headers: dict[str, str], entry: CatalogEntry, **body: Any) -> Any:
    return client.post(f"/api/v1/open/entries/{entry.id}/publish", headers=headers,
                       json={"topic": "credit", "licence": "cc_by_4", **body})


def demo_dataset(database: Database, name: str) -> OpenDataset:
    with database.read() as db:
        found = db.execute(select(OpenDataset).join(CatalogEntry, CatalogEntry.id == OpenDataset.entry_id)
                           .where(CatalogEntry.name == name).order_by(OpenDataset.id)).scalars().first()
        assert found is not None, f"the demo did not publish {name}"
        return found


def public_key(database: Any, settings: Any, username: str) -> dict[str, str]:
    """A new public account and an app key of its own, as headers."""
    with database.write() as db:
        if find_user_by_name(db, username=username) is None:
            accounts.sign_up(db, platform_actor(Method.CLI), data=PublicSignUp(
                username=username, display_name=username, password=DEMO_PASSWORD))
            db.flush()
        user = find_user_by_name(db, username=username)
        assert user is not None
        issued = accounts.create_app_key(db, actor_for_user(user, Method.API), settings,
                                         data=AppKeyCreate(name="测试"))
    return {"Authorization": issued.secret}
