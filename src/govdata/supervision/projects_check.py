"""The acceptance check of an IT project (第二十八条): every declared data asset must be a registered catalog
entry of the project's unit with fresh aggregated data, or the project fails acceptance and is marked 不具备运维经费
条件 until a later check passes.

"Fresh" is the platform's one notion of it (`datastore.freshness`, which the supervision indicators count as
"loaded on time"): at least one successful load, and the last one not older than the entry's update cycle plus
its day of grace. An entry that never loaded has no aggregated data, whatever its cycle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.catalog.labels import label
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.datastore.freshness import assess, last_loads
from govdata.errors import RuleViolation
from govdata.policy import Action
from govdata.supervision.projects_models import AcceptanceCheck, DataAsset, Funds, Project, Stage
from govdata.timeutil import to_local

CHECKABLE = (Stage.ACCEPTANCE.value, Stage.OPERATION.value)
NO_ASSETS = "项目未申报任何数据资产（第六条：可研/初设阶段应申报数据资产）"


@dataclass(frozen=True)
class Missing:
    asset_id: int
    asset: str
    problems: list[str]


def _day(moment: datetime | None) -> str:
    """A stored UTC moment as its Beijing date (YYYY-MM-DD)."""
    local = to_local(moment)
    return local.strftime("%Y-%m-%d") if local else "—"


def _problems(asset: DataAsset, entry: CatalogEntry | None, last_load: datetime | None) -> list[str]:
    if asset.entry_id is None or entry is None:
        return ["尚未关联数据目录"]
    named = f"目录“{entry.name}”" + (f"（{entry.code}）" if entry.code else "")
    if entry.status != EntryStatus.REGISTERED.value:
        return [f"{named}尚未登记（当前状态：{label(EntryStatus, entry.status)}）"]
    if last_load is None:
        return [f"{named}尚未汇聚数据"]
    fresh = assess(entry, last_load, clock.now())
    if fresh.overdue:
        return [f"{named}数据未按更新周期（{fresh.cycle_label}）汇聚：最近一次成功汇聚在 {_day(last_load)}，"
                f"应在 {_day(fresh.due_by)} 前更新"]
    return []


def find_missing(db: Session, project: Project) -> list[Missing]:
    """What keeps `project` from passing acceptance, asset by asset (empty: it passes)."""
    assets = list(project.assets)
    if not assets:
        return [Missing(0, "（无）", [NO_ASSETS])]
    entry_ids = [a.entry_id for a in assets if a.entry_id is not None]
    entries = {e.id: e for e in db.execute(select(CatalogEntry).where(CatalogEntry.id.in_(entry_ids))).scalars()}
    loads = last_loads(db, list(entries))
    found = []
    for asset in assets:
        entry = entries.get(asset.entry_id) if asset.entry_id is not None else None
        problems = _problems(asset, entry, loads.get(entry.id) if entry is not None else None)
        if problems:
            found.append(Missing(asset.id, asset.name, problems))
    return found


def run_check(db: Session, actor: Actor, project: Project, *, trigger: str) -> AcceptanceCheck:
    """Check `project` now, store the result and set its eligibility for operating funds (one audited write)."""
    with acting(db, actor, Action.PROJECT_CHECK, target=project) as audit:
        if project.stage not in CHECKABLE:
            raise RuleViolation("项目进入验收阶段后才能进行验收检查", field="stage")
        missing = find_missing(db, project)
        passed = not missing
        now = clock.now()
        check = AcceptanceCheck(project_id=project.id, unit_id=project.unit_id, region_id=project.region_id,
                                checked_at=now, checked_by=actor.name, checked_role=actor.primary_role,
                                trigger=trigger, passed=passed, assets=len(project.assets),
                                missing=json.dumps([m.__dict__ for m in missing], ensure_ascii=False))
        db.add(check)
        db.flush()
        before = project.funds
        after = Funds.ELIGIBLE.value if passed else Funds.INELIGIBLE.value
        db.execute(update(Project).where(Project.id == project.id)
                   .values(funds=after, last_check_id=check.id, updated_at=now)
                   .execution_options(synchronize_session=False))
        db.refresh(project)
        audit.details = {"check_id": check.id, "trigger": trigger, "passed": passed, "assets": check.assets,
                         "missing": [m.__dict__ for m in missing], "funds_before": before, "funds_after": after}
    return check


def last_check(db: Session, project: Project) -> AcceptanceCheck | None:
    if project.last_check_id is None:
        return None
    return db.get(AcceptanceCheck, project.last_check_id)


def list_checks(db: Session, project: Project, *, limit: int = 50) -> list[AcceptanceCheck]:
    """The project's checks, newest first."""
    return list(db.execute(select(AcceptanceCheck).where(AcceptanceCheck.project_id == project.id)
                           .order_by(AcceptanceCheck.id.desc()).limit(limit)).scalars())


def missing_of(check: AcceptanceCheck) -> list[Missing]:
    return [Missing(**m) for m in json.loads(check.missing or "[]")]
