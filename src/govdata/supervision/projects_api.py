"""JSON routes of the IT project register (第六、二十八条), under `/api/v1/supervision/projects`.

A backward or skipped stage move, an asset declared after 可研/初设, or an asset linked to another unit's entry is
a 422 naming the field (`stage`, `entry_id`); a name already taken is a 409 naming `name`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from govdata.actor import Actor
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.supervision import projects_check, projects_service
from govdata.supervision.projects_models import Funds, Project
from govdata.supervision.projects_schemas import (
    AssetDeclare,
    AssetLink,
    CheckRead,
    ProjectCreate,
    ProjectRead,
    ProjectSummaryRead,
    StageMove,
)
from govdata.types import Id
from govdata.web.deps import Db, requires

router = APIRouter(prefix="/projects", tags=["supervision"])
REFUSED: dict[int | str, dict[str, Any]] = {404: {"description": "没有这个项目或数据资产"},
                                            422: {"description": "阶段或目录不符合规定"}}


def _read(db: Session, project: Project) -> ProjectRead:
    unit = db.get(Unit, project.unit_id)
    return ProjectRead.of(project, unit.name if unit else "", projects_service.entry_names(db, project),
                          projects_check.last_check(db, project))


@router.get("", response_model=list[ProjectSummaryRead])
def list_projects(db: Db, funds: Annotated[Funds | None, Query(description="按运维经费条件筛选")] = None,
                  actor: Actor = requires(Action.PROJECT_VIEW)) -> list[ProjectSummaryRead]:
    """The projects the caller may see with their stage and eligibility for operating funds (finance: all)."""
    return [ProjectSummaryRead(id=p.id, unit_id=p.unit_id, unit_name=p.unit_name, name=p.name, budget=p.budget,
                               stage=p.stage, stage_label=p.stage_label, funds=p.funds, funds_label=p.funds_label,
                               assets=p.assets, last_checked_at=p.last_checked_at)
            for p in projects_service.list_projects(db, actor, funds=funds)]


@router.post("", response_model=ProjectRead, status_code=201, responses={409: {"description": "同名项目已存在"}})
def register_project(data: ProjectCreate, db: Db, actor: Actor = requires(Action.PROJECT_REGISTER)) -> ProjectRead:
    return _read(db, projects_service.register_project(db, actor, data=data))


@router.get("/{project_id}", response_model=ProjectRead, responses=REFUSED)
def get_project(project_id: Id, db: Db, actor: Actor = requires(Action.PROJECT_VIEW)) -> ProjectRead:
    return _read(db, projects_service.view_project(db, actor, project_id=project_id))


@router.post("/{project_id}/assets", response_model=ProjectRead, status_code=201, responses=REFUSED)
def declare_asset(project_id: Id, data: AssetDeclare, db: Db,
                  actor: Actor = requires(Action.PROJECT_DECLARE)) -> ProjectRead:
    projects_service.declare_asset(db, actor, project_id=project_id, data=data)
    return _read(db, projects_service.get_project(db, project_id=project_id))


@router.post("/{project_id}/assets/{asset_id}/link", response_model=ProjectRead, responses=REFUSED)
def link_asset(project_id: Id, asset_id: Id, data: AssetLink, db: Db,
               actor: Actor = requires(Action.PROJECT_LINK)) -> ProjectRead:
    projects_service.link_asset(db, actor, project_id=project_id, asset_id=asset_id, data=data)
    return _read(db, projects_service.get_project(db, project_id=project_id))


@router.post("/{project_id}/stage", response_model=ProjectRead, responses=REFUSED)
def advance_project(project_id: Id, data: StageMove, db: Db,
                    actor: Actor = requires(Action.PROJECT_ADVANCE)) -> ProjectRead:
    """Move one stage forward; to 验收 runs the acceptance check (its result is the project's `last_check`)."""
    projects_service.advance_project(db, actor, project_id=project_id, data=data)
    return _read(db, projects_service.get_project(db, project_id=project_id))


@router.post("/{project_id}/checks", response_model=CheckRead, status_code=201, responses=REFUSED)
def check_project(project_id: Id, db: Db, actor: Actor = requires(Action.PROJECT_CHECK)) -> CheckRead:
    """Run the acceptance check now: passes only when every declared asset is a registered entry with fresh data;
    otherwise `missing` lists what is missing per asset."""
    return CheckRead.of(projects_service.check_project(db, actor, project_id=project_id))


@router.get("/{project_id}/checks", response_model=list[CheckRead], responses=REFUSED)
def list_checks(project_id: Id, db: Db, actor: Actor = requires(Action.PROJECT_VIEW)) -> list[CheckRead]:
    project = projects_service.view_project(db, actor, project_id=project_id)
    return [CheckRead.of(c) for c in projects_check.list_checks(db, project)]
