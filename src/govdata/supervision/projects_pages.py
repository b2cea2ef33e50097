"""Pages of the IT project register (信息化项目, 第六、二十八条): the list (finance's read-only view of every
project's eligibility for operating funds), registering a project, one project with its data assets, its stage and
its acceptance checks. Every refusal a person can put right shows in Chinese beside its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.catalog.labels import choices, label
from govdata.catalog.models import EntryStatus, UpdateCycle
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.supervision import projects_check, projects_service
from govdata.supervision.projects_models import FUNDS_LABELS, STAGE_LABELS, Funds, Project
from govdata.supervision.projects_schemas import AssetDeclare, AssetLink, ProjectCreate, StageMove
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import Db, requires
from govdata.web.errors import attempt
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/supervision/projects"
LABELS = {"name": "名称", "budget": "预算（元）", "description": "说明", "update_cycle": "预计更新周期",
          "entry_id": "关联目录", "stage": "项目阶段", "unit_id": "单位", "asset_id": "数据资产"}


@router.get(BASE)
def projects_page(request: Request, db: Db, funds: Annotated[str | None, Query(max_length=20)] = None,
                  actor: Actor = requires(Action.PROJECT_VIEW)) -> Response:
    chosen = Funds(funds) if funds in {f.value for f in Funds} else None
    return render(request, "supervision/projects.html", {
        "projects": projects_service.list_projects(db, actor, funds=chosen), "funds": chosen.value if chosen else "",
        "funds_options": [(f.value, text) for f, text in FUNDS_LABELS.items()],
        "may_register": bool(policy.role_allows(actor, Action.PROJECT_REGISTER)),
        "read_only": not policy.role_allows(actor, Action.PROJECT_CHECK)})


def _new_form(request: Request, *, form: Any = None, error: forms.FormError | None = None) -> Response:
    return render(request, "supervision/project_form.html", {"form": form or {}, "error": error},
                  status_code=error.status if error else 200)


@router.get(BASE + "/new")
def new_project(request: Request, actor: Actor = requires(Action.PROJECT_REGISTER)) -> Response:
    return _new_form(request)


@router.post(BASE)
async def register_project(request: Request, db: Db, actor: Actor = requires(Action.PROJECT_REGISTER)) -> Response:
    form = await forms.form_dict(request)
    data = forms.parse(ProjectCreate, form, LABELS)
    if not isinstance(data, forms.FormError):
        created: list[Project] = []
        entered = data
        refused = attempt(request, db, lambda: created.append(
            projects_service.register_project(db, actor, data=entered)), LABELS)
        if refused is None:
            return RedirectResponse(f"{BASE}/{created[0].id}?msg=项目已登记，请申报数据资产", status_code=303)
        data = refused
    return _new_form(request, form=form, error=data)


def _detail(request: Request, db: Session, actor: Actor, project: Project, *, error: forms.FormError | None = None,
            form: Any = None, part: str = "") -> Response:
    last = projects_check.last_check(db, project)
    nxt = projects_service.next_stage(project)
    entries = projects_service.entry_names(db, project)
    may_link = bool(policy.can(actor, Action.PROJECT_LINK, project))
    return render(request, "supervision/project.html", {
        "project": project, "unit_name": _unit_name(db, project), "entries": entries, "last": last,
        "stage_options": [(s.value, text) for s, text in STAGE_LABELS.items()], "missing_of": projects_check.missing_of,
        "last_missing": projects_check.missing_of(last) if last else [],
        "checks": projects_check.list_checks(db, project), "next_stage": nxt,
        "linkable": [(e.id, f"{e.name}（{e.code or '未编码'}，{label(EntryStatus, e.status)}）")
                     for e in projects_service.linkable_entries(db, project)] if may_link else [],
        "cycles": choices(UpdateCycle), "cycle_label": lambda c: label(UpdateCycle, c),
        "may_declare": bool(policy.can(actor, Action.PROJECT_DECLARE, project)) and project.stage == "feasibility",
        "may_link": may_link, "may_advance": bool(policy.can(actor, Action.PROJECT_ADVANCE, project)),
        "may_check": bool(policy.can(actor, Action.PROJECT_CHECK, project))
        and project.stage in projects_check.CHECKABLE,
        "error": error, "form": form or {}, "part": part}, status_code=error.status if error else 200)


def _unit_name(db: Session, project: Project) -> str:
    unit = db.get(Unit, project.unit_id)
    return unit.name if unit else ""


@router.get(BASE + "/{project_id}")
def project_page(request: Request, project_id: Id, db: Db, actor: Actor = requires(Action.PROJECT_VIEW)) -> Response:
    return _detail(request, db, actor, projects_service.view_project(db, actor, project_id=project_id))


async def _change(request: Request, db: Session, actor: Actor, project_id: int, part: str, model: Any,
                  work: Callable[[Any], Any], done: str) -> Response:
    form = await forms.form_dict(request)
    data = forms.parse(model, form, LABELS) if model is not None else None
    if not isinstance(data, forms.FormError):
        entered = data
        refused = attempt(request, db, lambda: work(entered), LABELS)
        if refused is None:
            return RedirectResponse(f"{BASE}/{project_id}?msg={done}#{part}", status_code=303)
        data = refused
    project = projects_service.view_project(db, actor, project_id=project_id)
    return _detail(request, db, actor, project, error=data, form=form, part=part)


@router.post(BASE + "/{project_id}/assets")
async def declare_asset(request: Request, project_id: Id, db: Db,
                        actor: Actor = requires(Action.PROJECT_DECLARE)) -> Response:
    return await _change(request, db, actor, project_id, "declare", AssetDeclare, lambda d: projects_service
                         .declare_asset(db, actor, project_id=project_id, data=d), "数据资产已申报")


@router.post(BASE + "/{project_id}/assets/{asset_id}/link")
async def link_asset(request: Request, project_id: Id, asset_id: Id, db: Db,
                     actor: Actor = requires(Action.PROJECT_LINK)) -> Response:
    return await _change(request, db, actor, project_id, f"asset-{asset_id}", AssetLink, lambda d: projects_service
                         .link_asset(db, actor, project_id=project_id, asset_id=asset_id, data=d), "已关联目录")


@router.post(BASE + "/{project_id}/stage")
async def advance_project(request: Request, project_id: Id, db: Db,
                          actor: Actor = requires(Action.PROJECT_ADVANCE)) -> Response:
    return await _change(request, db, actor, project_id, "stage", StageMove, lambda d: projects_service
                         .advance_project(db, actor, project_id=project_id, data=d), "项目阶段已更新")


@router.post(BASE + "/{project_id}/checks")
async def check_project(request: Request, project_id: Id, db: Db,
                        actor: Actor = requires(Action.PROJECT_CHECK)) -> Response:
    return await _change(request, db, actor, project_id, "check", None, lambda _: projects_service
                         .check_project(db, actor, project_id=project_id), "验收检查已完成")
