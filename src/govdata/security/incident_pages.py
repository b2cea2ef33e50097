"""HTML pages of the incident register: the list, the report form (pre-filled from an audit event with
`?event=<seq>` or an emergency switch with `?switch=<id>`), one incident with its actions and closure."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from govdata import clock, policy
from govdata.actor import Actor
from govdata.errors import GovdataError
from govdata.orgs.service import list_units
from govdata.policy import Action
from govdata.security import incidents
from govdata.security.incident_models import SEVERITY_LABELS, Incident, IncidentStatus, SourceKind
from govdata.security.incident_schemas import IncidentActionCreate, IncidentClose, IncidentCreate
from govdata.timeutil import to_local
from govdata.types import MAX_BIGINT, Id, as_id
from govdata.web import forms
from govdata.web.deps import Db, requires
from govdata.web.errors import attempt, note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/security/incidents"
LABELS = {"title": "事件名称", "description": "事件经过", "severity": "事件级别", "found_at": "发现时间",
          "unit_ids": "涉及单位", "entry_codes": "涉及数据资源", "event": "审计事件", "switch": "应急开关",
          "at": "处置时间", "performed_by": "处置人", "closed_at": "结案时间", "cause": "事件原因",
          "lessons": "经验教训", "actions": "处置措施", "source_kind": "来源", "status": "状态"}
LOCAL_MINUTE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?$")
SOURCE_LABELS = {SourceKind.MANUAL: "直接登记", SourceKind.AUDIT_EVENT: "审计事件", SourceKind.SWITCH: "应急开关"}
STATUS_LABELS = {IncidentStatus.OPEN: "处置中", IncidentStatus.CLOSED: "已结案"}


def local_moment(raw: Any) -> Any:
    """A `datetime-local` input's value (Beijing time, no zone) as the API's moment with its offset."""
    text = str(raw or "").strip()
    if LOCAL_MINUTE.match(text):
        return f"{text}:00+08:00" if len(text) == 16 else f"{text}+08:00"
    return text


def input_moment(moment: Any) -> str:
    """A stored moment as a `datetime-local` input's value (Beijing time)."""
    local = to_local(moment)
    return local.strftime("%Y-%m-%dT%H:%M") if local else ""


def _codes(raw: Any) -> list[str]:
    return [c for c in str(raw or "").replace("，", ",").replace(",", "\n").split() if c]


def _context(actor: Actor) -> dict[str, Any]:
    return {"severities": [(k.value, v) for k, v in SEVERITY_LABELS.items()], "sources": SOURCE_LABELS,
            "statuses": STATUS_LABELS, "now_input": input_moment(clock.now()),
            "can_record": bool(policy.role_allows(actor, Action.INCIDENT_RECORD))}


@router.get(BASE)
def incidents_page(request: Request, db: Db, actor: Actor = requires(Action.INCIDENT_VIEW)) -> Response:
    return render(request, "security/incidents.html", {"incidents": incidents.list_incidents(db, actor),
                                                        **_context(actor)})


def _form(request: Request, db: Db, actor: Actor, *, form: Any, error: forms.FormError | None = None,
          source: tuple[str, str] = ("manual", "")) -> Response:
    return render(request, "security/incident_form.html", {
        "form": form, "error": error, "units": list_units(db), "source_kind": source[0], "source_id": source[1],
        **_context(actor)}, status_code=error.status if error else 200)


def _source_param(request: Request) -> tuple[str, str, str]:
    """(source kind, the parameter's name, its raw value) from `?event=` or `?switch=`."""
    for kind, name in ((SourceKind.AUDIT_EVENT, "event"), (SourceKind.SWITCH, "switch")):
        if name in request.query_params:
            return kind.value, name, request.query_params[name].strip()
    return SourceKind.MANUAL.value, "", ""


@router.get(BASE + "/new")
def new_incident(request: Request, db: Db, actor: Actor = requires(Action.INCIDENT_RECORD)) -> Response:
    kind, name, raw = _source_param(request)
    if kind == SourceKind.MANUAL:
        return _form(request, db, actor, form={})
    source_id = as_id(raw, MAX_BIGINT)
    if source_id is None or source_id == 0:
        error = forms.FormError(f"{LABELS[name]}编号应为正整数", name, 422, {name: f"{LABELS[name]}编号应为正整数"})
        return _form(request, db, actor, form={}, error=error)
    try:
        draft = incidents.prefill(db, actor, source_kind=kind, source_id=source_id)
    except GovdataError as exc:
        return _form(request, db, actor, form={}, error=forms.from_error(exc, LABELS))
    form = {"title": draft.title, "description": draft.description, "severity": draft.severity.value,
            "found_at": input_moment(draft.found_at), "unit_ids": [str(u) for u in draft.unit_ids],
            "entry_codes": "\n".join(draft.entry_codes)}
    return _form(request, db, actor, form=form, source=(kind, str(source_id)))


def _create_values(form: FormData) -> dict[str, Any]:
    return {"title": form.get("title"), "description": form.get("description"), "severity": form.get("severity"),
            "found_at": local_moment(form.get("found_at")), "unit_ids": form.getlist("unit_ids"),
            "entry_codes": _codes(form.get("entry_codes"))}


@router.post(BASE)
async def open_incident(request: Request, db: Db, actor: Actor = requires(Action.INCIDENT_RECORD)) -> Response:
    form = await request.form()
    kind = str(form.get("source_kind") or SourceKind.MANUAL.value)
    raw_source = str(form.get("source_id") or "")
    source = (kind, raw_source)
    parsed = forms.parse(IncidentCreate, _create_values(form), LABELS)
    if isinstance(parsed, forms.FormError):
        return _form(request, db, actor, form=form, error=parsed, source=source)
    try:
        incident = incidents.open_incident(db, actor, data=parsed, source_kind=kind,
                                           source_id=as_id(raw_source, MAX_BIGINT))
    except GovdataError as exc:
        if exc.status == 403:
            raise
        db.rollback()
        note_refusal(request, exc)
        return _form(request, db, actor, form=form, error=forms.from_error(exc, LABELS), source=source)
    return RedirectResponse(f"{BASE}/{incident.id}?msg=安全事件已登记", status_code=303)


def _detail(request: Request, actor: Actor, incident: Incident, *, error: forms.FormError | None = None,
            form: Any = None, part: str = "") -> Response:
    return render(request, "security/incident.html", {
        "incident": incident, "error": error, "form": form or {}, "part": part,
        "may_record": incident.status == IncidentStatus.OPEN and bool(
            policy.can(actor, Action.INCIDENT_RECORD, incident)),
        **_context(actor)}, status_code=error.status if error else 200)


@router.get(BASE + "/{incident_id}")
def incident_page(request: Request, incident_id: Id, db: Db,
                  actor: Actor = requires(Action.INCIDENT_VIEW)) -> Response:
    return _detail(request, actor, incidents.view_incident(db, actor, incident_id=incident_id))


@router.post(BASE + "/{incident_id}/actions")
async def record_action(request: Request, incident_id: Id, db: Db,
                        actor: Actor = requires(Action.INCIDENT_RECORD)) -> Response:
    form = await forms.form_dict(request)
    data = forms.parse(IncidentActionCreate, {**form, "at": local_moment(form.get("at"))}, LABELS)
    if not isinstance(data, forms.FormError):
        entered = data
        refused = attempt(request, db,
                          lambda: incidents.record_action(db, actor, incident_id=incident_id, data=entered), LABELS)
        if refused is None:
            return RedirectResponse(f"{BASE}/{incident_id}?msg=处置措施已记录#actions", status_code=303)
        data = refused
    incident = incidents.view_incident(db, actor, incident_id=incident_id)
    return _detail(request, actor, incident, error=data, form=form, part="action")


@router.post(BASE + "/{incident_id}/close")
async def close_incident(request: Request, incident_id: Id, db: Db,
                         actor: Actor = requires(Action.INCIDENT_RECORD)) -> Response:
    form = await forms.form_dict(request)
    data = forms.parse(IncidentClose, {**form, "closed_at": local_moment(form.get("closed_at"))}, LABELS)
    if not isinstance(data, forms.FormError):
        entered = data
        refused = attempt(request, db,
                          lambda: incidents.close_incident(db, actor, incident_id=incident_id, data=entered), LABELS)
        if refused is None:
            return RedirectResponse(f"{BASE}/{incident_id}?msg=安全事件已结案", status_code=303)
        data = refused
    incident = incidents.view_incident(db, actor, incident_id=incident_id)
    return _detail(request, actor, incident, error=data, form=form, part="close")
