"""The emergency switches page (/security/switches): the switches in force with a form to lift each, a form
to set one (the object picked from a searchable list), and the history of every switch."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govdata import policy
from govdata.actor import Actor
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.security import switches
from govdata.security.switch_models import KIND_LABELS
from govdata.security.switch_schemas import SwitchLift, SwitchSet
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import Db, requires
from govdata.web.errors import note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/security/switches"
LABELS = {"kind": "暂停范围", "system_id": "接入系统", "unit_id": "单位", "entry_id": "数据资源", "reason": "原因"}
LIFT_LABELS = {"reason": "解除原因"}
# the form's field that names the object, per kind (the API's one `object_id`)
OBJECT_FIELDS = {"system": "system_id", "provider": "unit_id", "consumer": "unit_id", "resource": "entry_id"}


def _page(request: Request, db: Db, actor: Actor, *, form: dict[str, Any] | None = None,
          error: forms.FormError | None = None, lift_error: tuple[int, forms.FormError] | None = None) -> Response:
    may_switch = bool(policy.role_allows(actor, Action.EMERGENCY_SWITCH))
    status = error.status if error else lift_error[1].status if lift_error else 200
    return render(request, "security/switches.html", {
        "in_force": switches.switches_in_force(db, actor), "history": switches.switch_history(db, actor),
        "kinds": [(k.value, label) for k, label in KIND_LABELS.items()],
        "choices": switches.choices(db) if may_switch else {}, "may_switch": may_switch,
        "may_report": bool(policy.role_allows(actor, Action.INCIDENT_RECORD)),
        "form": form or {}, "error": error, "lift_error": lift_error}, status_code=status)


@router.get(BASE)
def switches_page(request: Request, db: Db, actor: Actor = requires(Action.EMERGENCY_VIEW)) -> Response:
    return _page(request, db, actor)


def _set_values(form: dict[str, Any]) -> dict[str, Any]:
    kind = str(form.get("kind") or "")
    field = OBJECT_FIELDS.get(kind)
    return {"kind": kind, "object_id": form.get(field) if field else None, "reason": form.get("reason")}


def _object_error(error: forms.FormError, kind: str) -> forms.FormError:
    """An error about the object shown beside the list it was picked from."""
    field = OBJECT_FIELDS.get(kind)
    if field is None or "object_id" not in error.errors:
        return error
    errors = {(field if k == "object_id" else k): v for k, v in error.errors.items()}
    message = error.message.replace("object_id", LABELS[field])
    return forms.FormError(message, field if error.field == "object_id" else error.field, error.status, errors)


@router.post(BASE)
async def set_switch(request: Request, db: Db, actor: Actor = requires(Action.EMERGENCY_SWITCH)) -> Response:
    form = await forms.form_dict(request)
    kind = str(form.get("kind") or "")
    data = forms.parse(SwitchSet, _set_values(form), {**LABELS, "object_id": "对象"})
    if not isinstance(data, forms.FormError):
        try:
            switch = switches.set_switch(db, actor, data=data)
            return RedirectResponse(f"{BASE}?msg=已暂停：{switches.describe(switch)}，即时生效", status_code=303)
        except GovdataError as exc:
            if exc.status in (401, 403):
                raise
            db.rollback()
            note_refusal(request, exc)
            data = forms.from_error(exc, {**LABELS, "object_id": "对象"})
    return _page(request, db, actor, form=form, error=_object_error(data, kind))


@router.post(BASE + "/{switch_id}/lift")
async def lift_switch(request: Request, switch_id: Id, db: Db,
                      actor: Actor = requires(Action.EMERGENCY_SWITCH)) -> Response:
    form = await forms.form_dict(request)
    data = forms.parse(SwitchLift, {"reason": form.get("reason", "")}, LIFT_LABELS)
    if not isinstance(data, forms.FormError):
        try:
            switch = switches.lift_switch(db, actor, switch_id=switch_id, data=data)
            return RedirectResponse(f"{BASE}?msg=已解除：{switches.describe(switch)}，即时恢复", status_code=303)
        except GovdataError as exc:
            if exc.status in (401, 403, 404):
                raise
            db.rollback()
            note_refusal(request, exc)
            data = forms.from_error(exc, LIFT_LABELS)
    return _page(request, db, actor, lift_error=(switch_id, data))
