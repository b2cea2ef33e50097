"""The IT project register (信息化项目, 第六、二十八条): a unit registers its project at 可研/初设, declares the
data assets it will make, links each to a catalog entry of its own, and moves the project forward one stage at a
time; moving to 验收 runs the acceptance check (`projects_check`), and 运维 follows only a passing one.

Who sees and does what is the policy's (`Action.PROJECT_*`): a unit's people manage their own unit's projects, the
bureau sees and checks all, a county office sees and checks its county's, finance (市财政局) reads every project's
eligibility for operating funds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.storage.base import row_by_id
from govdata.storage.engines import rowcount
from govdata.supervision.projects_check import run_check
from govdata.supervision.projects_models import (
    STAGES,
    AcceptanceCheck,
    DataAsset,
    Funds,
    Project,
    Stage,
    funds_label,
    stage_label,
)
from govdata.supervision.projects_schemas import AssetDeclare, AssetLink, ProjectCreate, StageMove

LIST_LIMIT = 1000


@dataclass(frozen=True)
class ProjectLine:
    """A project as the register lists it."""

    id: int
    unit_id: int
    unit_name: str
    name: str
    budget: Decimal
    stage: str
    funds: str
    assets: int
    last_checked_at: datetime | None

    @property
    def stage_label(self) -> str:
        return stage_label(self.stage)

    @property
    def funds_label(self) -> str:
        return funds_label(self.funds)


def get_project(db: Session, *, project_id: int) -> Project:
    project = row_by_id(db, Project, project_id)
    if project is None:
        raise NotFound("信息化项目不存在", field="project_id")
    return project


def view_project(db: Session, actor: Actor, *, project_id: int) -> Project:
    project = get_project(db, project_id=project_id)
    policy.require(actor, Action.PROJECT_VIEW, project)
    return project


def list_projects(db: Session, actor: Actor, *, funds: Funds | None = None) -> list[ProjectLine]:
    """The projects `actor` may see (the bureau and finance: all; a county office: its county's; a unit: its own),
    by unit and name."""
    policy.require_role(actor, Action.PROJECT_VIEW)
    assets = (select(DataAsset.project_id, func.count().label("n")).group_by(DataAsset.project_id).subquery())
    query = (select(Project.id, Project.unit_id, Unit.name, Project.name, Project.budget, Project.stage,
                    Project.funds, func.coalesce(assets.c.n, 0), AcceptanceCheck.checked_at)
             .join(Unit, Unit.id == Project.unit_id)
             .outerjoin(assets, assets.c.project_id == Project.id)
             .outerjoin(AcceptanceCheck, AcceptanceCheck.id == Project.last_check_id)
             .where(policy.where(actor, Action.PROJECT_VIEW, Project)))
    if funds is not None:
        query = query.where(Project.funds == funds.value)
    rows = db.execute(query.order_by(Unit.name, Project.name, Project.id).limit(LIST_LIMIT)).all()
    return [ProjectLine(*row) for row in rows]


def entry_names(db: Session, project: Project) -> dict[int, tuple[str | None, str]]:
    """The linked entries' (code, name), by id."""
    ids = [a.entry_id for a in project.assets if a.entry_id is not None]
    if not ids:
        return {}
    rows = db.execute(select(CatalogEntry.id, CatalogEntry.code, CatalogEntry.name).where(CatalogEntry.id.in_(ids)))
    return {i: (code, name) for i, code, name in rows}


def linkable_entries(db: Session, project: Project) -> list[CatalogEntry]:
    """The catalog entries an asset of `project` may be linked to: its own unit's, not retired."""
    return list(db.execute(select(CatalogEntry).where(
        CatalogEntry.unit_id == project.unit_id, CatalogEntry.status != EntryStatus.RETIRED.value)
        .order_by(CatalogEntry.name, CatalogEntry.id)).scalars())


def register_project(db: Session, actor: Actor, *, data: ProjectCreate) -> Project:
    """A unit's person registers the unit's IT project; it starts at 可研/初设, not yet checked."""
    policy.require_role(actor, Action.PROJECT_REGISTER)
    unit = row_by_id(db, Unit, actor.unit_id) if actor.unit_id is not None else None
    if unit is None:
        raise RuleViolation("当前账号没有所属单位，不能登记项目", field="unit_id")
    now = clock.now()
    project = Project(unit_id=unit.id, region_id=unit.region_id, name=data.name, budget=data.budget,
                      stage=Stage.FEASIBILITY.value, funds=Funds.UNCHECKED.value, created_by=actor.name,
                      created_at=now, updated_at=now)
    with acting(db, actor, Action.PROJECT_REGISTER, target=project) as audit:
        taken = db.execute(select(Project.id).where(Project.unit_id == unit.id, Project.name == data.name)).first()
        if taken is not None:
            raise Conflict("本单位已有同名项目", field="name")
        db.add(project)
        _flush(db, "本单位已有同名项目", "name")
        audit.details = {"name": project.name, "budget": str(project.budget), "stage": project.stage}
    return project


def _flush(db: Session, message: str, field: str) -> None:
    """Flush; a unique constraint another request just took is a 409 at `field`, not a 500."""
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        raise Conflict(message, field=field) from exc


def declare_asset(db: Session, actor: Actor, *, project_id: int, data: AssetDeclare) -> DataAsset:
    """Declare a data asset the project will make; only while it is at 可研/初设 (第六条)."""
    project = get_project(db, project_id=project_id)
    with acting(db, actor, Action.PROJECT_DECLARE, target=project) as audit:
        if project.stage != Stage.FEASIBILITY.value:
            raise RuleViolation(f"只能在可研/初设阶段申报数据资产（项目当前处于{project.stage_label}阶段）",
                                field="stage")
        if any(a.name == data.name for a in project.assets):
            raise Conflict("该项目已申报同名数据资产", field="name")
        asset = DataAsset(project_id=project.id, unit_id=project.unit_id, name=data.name,
                          description=data.description, update_cycle=data.update_cycle.value,
                          declared_by=actor.name, declared_at=clock.now())
        db.add(asset)
        _flush(db, "该项目已申报同名数据资产", "name")
        db.refresh(project)
        audit.details = {"asset_id": asset.id, "name": asset.name, "update_cycle": asset.update_cycle}
    return asset


def link_asset(db: Session, actor: Actor, *, project_id: int, asset_id: int, data: AssetLink) -> DataAsset:
    """Link a declared asset to the catalog entry it became; the entry must be of the project's own unit."""
    project = get_project(db, project_id=project_id)
    asset = next((a for a in project.assets if a.id == asset_id), None)
    if asset is None:
        raise NotFound("该项目没有这项数据资产", field="asset_id")
    with acting(db, actor, Action.PROJECT_LINK, target=project) as audit:
        entry = row_by_id(db, CatalogEntry, data.entry_id)
        if entry is None:
            raise RuleViolation("目录不存在", field="entry_id")
        if entry.unit_id != project.unit_id:
            raise RuleViolation("只能关联本项目所属单位的目录，不能关联其他单位的目录", field="entry_id")
        if entry.status == EntryStatus.RETIRED.value:
            raise RuleViolation("该目录已撤销，不能关联", field="entry_id")
        before = asset.entry_id
        asset.entry_id, asset.linked_by, asset.linked_at = entry.id, actor.name, clock.now()
        db.flush()
        audit.details = {"asset_id": asset.id, "asset": asset.name, "entry_before": before, "entry_id": entry.id,
                         "entry_code": entry.code}
    return asset


def advance_project(db: Session, actor: Actor, *, project_id: int, data: StageMove) -> AcceptanceCheck | None:
    """Move the project to the next stage. Backward or skipped moves are refused at `stage`; moving to 验收 runs
    the acceptance check (returned); moving to 运维 needs the last check to have passed."""
    project = get_project(db, project_id=project_id)
    with acting(db, actor, Action.PROJECT_ADVANCE, target=project) as audit:
        current = Stage(project.stage)
        _check_move(current, data.stage)
        if data.stage is Stage.OPERATION and project.funds != Funds.ELIGIBLE.value:
            raise RuleViolation("验收检查尚未通过，不能转入运维：请补齐数据资产的登记和汇聚后重新检查", field="stage")
        moved = db.execute(update(Project).where(Project.id == project.id, Project.stage == current.value)
                           .values(stage=data.stage.value, updated_at=clock.now())
                           .execution_options(synchronize_session=False))
        if rowcount(moved) != 1:
            raise Conflict("项目阶段已被他人更改，请刷新后重试", field="stage")
        db.refresh(project)
        audit.details = {"stage_before": current.value, "stage_after": data.stage.value}
    if data.stage is Stage.ACCEPTANCE:
        return run_check(db, actor, project, trigger="stage")
    return None


def _check_move(current: Stage, wanted: Stage) -> None:
    here, there = STAGES.index(current), STAGES.index(wanted)
    if there == here:
        raise RuleViolation(f"项目已处于{stage_label(wanted)}阶段", field="stage")
    if there < here:
        raise RuleViolation(f"项目阶段不能后退（当前：{stage_label(current)}，不能退回{stage_label(wanted)}）",
                            field="stage")
    if there > here + 1:
        raise RuleViolation(f"项目阶段不能跳过：{stage_label(current)}之后应先进入"
                            f"{stage_label(STAGES[here + 1])}阶段", field="stage")


def check_project(db: Session, actor: Actor, *, project_id: int) -> AcceptanceCheck:
    """The acceptance check on demand (at 验收 or 运维): a pass clears 不具备运维经费条件, a failure sets it."""
    project = get_project(db, project_id=project_id)
    return run_check(db, actor, project, trigger="demand")


def next_stage(project: Project) -> Stage | None:
    here = STAGES.index(Stage(project.stage))
    return STAGES[here + 1] if here + 1 < len(STAGES) else None
