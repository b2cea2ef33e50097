"""The demo catalog: about sixty entries, pending filings, a changed entry; seeding twice adds nothing."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from sqlalchemy import func, select

from govdata.audit.models import AuditEvent
from govdata.catalog import demo
from govdata.catalog.models import CatalogEntry, EntryVersion, Filing
from govdata.demo import DemoContext
from govdata.orgs.models import Unit


def _counts(database: Any) -> tuple[int, int, int]:
    with database.read() as db:
        return (db.execute(select(func.count()).select_from(CatalogEntry)).scalar_one(),
                db.execute(select(func.count()).select_from(EntryVersion)).scalar_one(),
                db.execute(select(func.count()).select_from(Filing)).scalar_one())


def test_demo_catalog_is_there_and_seeding_again_adds_nothing(database: Any, settings: Any) -> None:
    entries, versions, filings = _counts(database)
    assert 55 <= entries <= 65 and versions > 50 and filings > 20
    with database.read() as db:
        statuses = dict(db.execute(select(CatalogEntry.status, func.count()).group_by(CatalogEntry.status)).all())
        units = db.execute(select(func.count(func.distinct(CatalogEntry.unit_id)))).scalar_one()
        changed = db.execute(select(CatalogEntry.name).where(CatalogEntry.version == 2)).scalars().all()
        audited = db.execute(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "catalog.draft")).scalar_one()
        unit_ids = {u.code: u.id for u in db.execute(select(Unit)).scalars()}
    assert statuses["submitted"] == 4 and statuses["draft"] == 2 and statuses["registered"] >= 50
    assert units >= 14 and set(changed) == {"市场主体登记信息", "婚姻登记信息"}
    assert audited >= entries  # every entry went through the service
    demo.seed(DemoContext(settings, database, Console(quiet=True), units=unit_ids))
    assert _counts(database) == (entries, versions, filings)


def test_parse_field_spec() -> None:
    field = demo.parse_field("zczb:注册资本（万元）:Y18,2:commercial L3 desc=单位 万元")
    assert (field.name, field.label, field.data_type, field.length, field.precision) == ("zczb", "注册资本（万元）",
                                                                                        "Y", 18, 2)
    assert field.sensitivity == "commercial" and field.security_level == "L3" and field.description == "单位 万元"
