"""The center's user administration: list, create, deactivate and reactivate accounts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govdata import clock
from govdata.actor import ROLE_LABELS, Actor, Role
from govdata.auth import service
from govdata.auth.models import User
from govdata.auth.passwordpolicy import PasswordRules, shape_problem
from govdata.auth.schemas import UserCreate
from govdata.errors import GovdataError
from govdata.orgs.models import Unit
from govdata.orgs.service import list_units
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, requires
from govdata.web.forms import FormError, form_lists, from_error, merge, parse
from govdata.web.tables import TableSpec, paged
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
LABELS = {"username": "用户名", "display_name": "姓名", "password": "初始密码", "unit_id": "所属单位",
          "roles": "角色", "phone": "联系电话", "email": "电子邮箱"}
PERSON_ROLES = [r for r in Role if r not in (Role.SYSTEM, Role.PLATFORM, Role.PUBLIC)]
USER_TABLE = TableSpec(sorts={"username": User.username, "name": User.display_name, "unit": Unit.name},
                       default="unit", filters=(User.username, User.display_name, Unit.name, User.phone, User.email),
                       tiebreak=(User.id,))


def _page(request: Request, db: Db, actor: Actor, error: FormError | None = None,
          form: dict[str, Any] | None = None) -> Response:
    users, table = paged(db, service.users_query(actor), request, USER_TABLE)
    context = {"users": users, "table": table, "units": list_units(db), "error": error, "form": form or {},
               "roles": [(r.value, ROLE_LABELS[r]) for r in PERSON_ROLES], "now": clock.now(),
               "password_hint": PasswordRules.of(request.app.state.settings).hint()}
    return render(request, "auth/users.html", context, status_code=error.status if error else 200)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: Db, actor: Actor = requires(Action.USER_MANAGE)) -> Response:
    return _page(request, db, actor)


@router.post("/admin/users", response_class=HTMLResponse)
async def create_user(request: Request, db: Db, settings: AppSettings,
                      actor: Actor = requires(Action.USER_MANAGE)) -> Response:
    posted = await form_lists(request)
    form: dict[str, Any] = {k: v[0] for k, v in posted.items() if k not in ("roles", "csrf_token")}
    form["roles"] = posted.get("roles", [])
    data = parse(UserCreate, form, LABELS)
    if isinstance(data, FormError):
        problem = shape_problem(PasswordRules.of(request.app.state.settings), password=str(form.get("password", "")),
                                username=str(form.get("username", "")))
        if problem and "password" not in data.errors:  # shown with the form's other errors, not after them
            text = f"{LABELS['password']}：{problem}"
            data = merge(data, FormError(text, "password", 422, {"password": text})) or data
        return _page(request, db, actor, data, form)
    try:
        user = service.create_user(db, actor, settings, data=data)
    except GovdataError as exc:
        db.rollback()
        return _page(request, db, actor, from_error(exc, LABELS), form)
    return RedirectResponse(f"/admin/users?msg=已创建用户 {user.username}", status_code=303)


@router.post("/admin/users/{user_id}/deactivate", response_class=HTMLResponse)
def deactivate(request: Request, db: Db, user_id: Id, actor: Actor = requires(Action.USER_MANAGE)) -> Response:
    return _set_active(request, db, actor, user_id, False)


@router.post("/admin/users/{user_id}/reactivate", response_class=HTMLResponse)
def reactivate(request: Request, db: Db, user_id: Id, actor: Actor = requires(Action.USER_MANAGE)) -> Response:
    return _set_active(request, db, actor, user_id, True)


def _set_active(request: Request, db: Db, actor: Actor, user_id: int, active: bool) -> Response:
    try:
        user = service.set_active(db, actor, user_id=user_id, active=active)
    except GovdataError as exc:
        db.rollback()
        return _page(request, db, actor, from_error(exc))
    word = "启用" if active else "停用"
    return RedirectResponse(f"/admin/users?msg=已{word}用户 {user.username}", status_code=303)
