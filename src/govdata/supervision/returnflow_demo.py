"""Demo: return-flow applications (第九条) — 医保参保信息 approved and linked to its connector, 医保结算信息 applied
for and waiting, 建筑企业资质信息 only planned; 排污许可信息 (and the other 回流 entries) have neither, so the lists
show them. Through the services, so every step is audited; a second run changes nothing.

The demo's connector is left paused (`is_active` off): no upper-level system is reachable from a demo, and
nothing downloads at run time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from govdata import clock
from govdata.actor import platform_actor
from govdata.catalog.models import CatalogEntry
from govdata.datastore.returnflow import ConnectorIn, save_connector
from govdata.orgs.models import Unit
from govdata.supervision.returnflow import find_application, record_application
from govdata.supervision.returnflow_models import ApplicationStatus, UpperLevel
from govdata.supervision.returnflow_schemas import ApplicationIn

# unit code, entry name, upper level, upper body, interface, steps as (status, applied days ago, answered days ago)
CASES: list[tuple[str, str, UpperLevel, str, str, list[tuple[ApplicationStatus, int | None, int | None]]]] = [
    ("ybj", "医保参保信息", UpperLevel.NATIONAL, "国家医疗保障局", "国家医保信息平台·参保人员信息查询接口",
     [(ApplicationStatus.APPLIED, 40, None), (ApplicationStatus.APPROVED, 40, 30)]),
    ("ybj", "医保结算信息", UpperLevel.PROVINCE, "福建省医疗保障局", "省医保平台·结算明细回流接口",
     [(ApplicationStatus.APPLIED, 10, None)]),
    ("zjj", "建筑企业资质信息", UpperLevel.PROVINCE, "福建省住房和城乡建设厅", "省建筑市场监管平台·企业资质接口",
     [(ApplicationStatus.PLANNED, None, None)]),
]
CONNECTED = ("ybj", "医保参保信息")


def _entry(db: Any, unit_code: str, name: str) -> CatalogEntry | None:
    return db.execute(select(CatalogEntry).join(Unit, Unit.id == CatalogEntry.unit_id)
                      .where(Unit.code == unit_code, CatalogEntry.name == name,
                             CatalogEntry.status == "registered")).scalars().first()


def seed(ctx: Any) -> None:
    actor = platform_actor(name="演示数据")
    today = clock.today()
    with ctx.database.write() as db:
        for unit_code, name, level, body, interface, steps in CASES:
            entry = _entry(db, unit_code, name)
            if entry is None or find_application(db, entry_id=entry.id) is not None:
                continue
            if (unit_code, name) == CONNECTED:
                connector = save_connector(db, actor, entry=entry, data=ConnectorIn(
                    url="https://ybj.example.gov.cn/api/insured", data_format="json", since_param="updated_since"))
                connector.is_active = False  # nothing to reach from a demo (see the docstring)
            for status, applied, answered in steps:
                record_application(db, actor, entry_id=entry.id, data=ApplicationIn(
                    upper_level=level, upper_body=body, interface=interface, status=status,
                    applied_on=today - timedelta(days=applied) if applied is not None else None,
                    answered_on=today - timedelta(days=answered) if answered is not None else None,
                    answer="同意按日回流参保人员信息" if answered is not None else ""))
