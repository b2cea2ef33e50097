"""Demo IT projects (第六、二十八条), made through the services as the units' own stewards, so every step is audited:

- 民政局 “智慧民政服务平台”: its one asset is 社会救助对象信息, registered and loaded by the datastore demo, so
  its acceptance check passes and the project is in 运维, eligible for operating funds;
- 市场监管局 “市场主体信用监管平台”: at 验收 and failing — 个体工商户登记信息 is fine, 市场主体登记信息 is registered
  but never loaded, and 企业信用风险分类信息 has no catalog entry yet: 不具备运维经费条件;
- 新罗区市场监管局 “农贸市场智慧监管系统”: at 可研/初设 with one declared asset (the county office sees it).

A second run changes nothing (projects are found by unit and name).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.actor import Actor
from govdata.auth.models import User
from govdata.auth.service import actor_for_user
from govdata.catalog.models import CatalogEntry, UpdateCycle
from govdata.errors import RuleViolation
from govdata.orgs.models import Unit
from govdata.supervision import projects_service
from govdata.supervision.projects_models import Project, Stage
from govdata.supervision.projects_schemas import AssetDeclare, AssetLink, ProjectCreate, StageMove

# unit code, steward, project, budget, stage to reach, [(asset, description, cycle, entry name or None)]
PROJECTS: list[tuple[str, str, str, str, Stage, list[tuple[str, str, UpdateCycle, str | None]]]] = [
    ("mz", "steward_mz", "智慧民政服务平台", "2860000.00", Stage.OPERATION, [
        ("社会救助对象信息", "低保、特困等救助对象的认定和发放信息", UpdateCycle.MONTHLY, "社会救助对象信息")]),
    ("scjg", "steward_scjg", "市场主体信用监管平台", "4350000.00", Stage.ACCEPTANCE, [
        ("个体工商户登记信息", "个体工商户的设立、变更、注销登记", UpdateCycle.MONTHLY, "个体工商户登记信息"),
        ("市场主体登记信息", "企业和农民专业合作社的登记信息", UpdateCycle.REALTIME, "市场主体登记信息"),
        ("企业信用风险分类信息", "按信用风险分为四类的企业名单", UpdateCycle.MONTHLY, None)]),
    ("xl_scjg", "steward_xl_scjg", "农贸市场智慧监管系统", "680000.00", Stage.FEASIBILITY, [
        ("农贸市场检测信息", "农贸市场快检结果", UpdateCycle.WEEKLY, None)]),
]


def _actor(db: Session, username: str) -> Actor | None:
    user = db.execute(select(User).where(User.username == username)).scalar_one_or_none()
    return actor_for_user(user) if user is not None else None


def _entry_id(db: Session, unit_id: int, name: str) -> int | None:
    return db.execute(select(CatalogEntry.id).where(CatalogEntry.unit_id == unit_id, CatalogEntry.name == name)
                      .order_by(CatalogEntry.id)).scalars().first()


def _make(db: Session, actor: Actor, name: str, budget: str, stage: Stage,
          assets: list[tuple[str, str, UpdateCycle, str | None]]) -> None:
    project = projects_service.register_project(db, actor, data=ProjectCreate(name=name, budget=Decimal(budget)))
    links = []
    for asset_name, description, cycle, entry_name in assets:
        asset = projects_service.declare_asset(db, actor, project_id=project.id, data=AssetDeclare(
            name=asset_name, description=description, update_cycle=cycle))
        entry_id = _entry_id(db, project.unit_id, entry_name) if entry_name else None
        if entry_id is not None:
            links.append((asset.id, entry_id))
    for asset_id, entry_id in links:
        projects_service.link_asset(db, actor, project_id=project.id, asset_id=asset_id,
                                    data=AssetLink(entry_id=entry_id))
    for step in list(Stage)[1:list(Stage).index(stage) + 1]:
        try:
            projects_service.advance_project(db, actor, project_id=project.id, data=StageMove(stage=step))
        except RuleViolation:  # 运维 refused (its check failed: the data it needs is not there): stay at 验收
            return


def seed(ctx: Any) -> None:
    with ctx.database.write() as db:
        for unit_code, username, name, budget, stage, assets in PROJECTS:
            unit_id = db.execute(select(Unit.id).where(Unit.code == unit_code)).scalar_one_or_none()
            actor = _actor(db, username)
            if unit_id is None or actor is None:
                continue
            if db.execute(select(Project.id).where(Project.unit_id == unit_id, Project.name == name)).first():
                continue
            _make(db, actor, name, budget, stage, assets)
