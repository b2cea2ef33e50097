"""HTML pages of sharing: apply, decide, agreements, grants, usage and the center's system credentials."""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from govdata import clock, policy
from govdata.actor import Actor
from govdata.auth import credentials
from govdata.auth.service import people_names
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.errors import GovdataError, RuleViolation
from govdata.masking.rules import rule_for
from govdata.orgs import views as org_views
from govdata.orgs.models import System
from govdata.orgs.service import systems_query
from govdata.policy import Action
from govdata.quality.charts import line_chart
from govdata.sharing import agreements, city, grants, service, usage
from govdata.sharing.models import Grant, GrantStatus, RequestStatus, ShareRequest
from govdata.sharing.schemas import OpinionIn, ReviewIn, ShareRequestCreate
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, requires
from govdata.web.tables import TableSpec, paged
from govdata.web.templating import render

router = APIRouter(tags=["sharing-pages"], include_in_schema=False)
Text = Annotated[str, Form()]
M = TypeVar("M", bound=BaseModel)
REQUEST_TABLE = TableSpec(sorts={"id": ShareRequest.id, "status": ShareRequest.status, "due": ShareRequest.due_on,
                                 "entry": CatalogEntry.name},
                          default="-id", filters=(CatalogEntry.name, ShareRequest.resource_code),
                          tiebreak=(ShareRequest.id,))
GRANT_TABLE = TableSpec(sorts={"id": Grant.id, "entry": CatalogEntry.name, "status": Grant.status,
                               "valid_until": Grant.valid_until},
                        default="-id", filters=(CatalogEntry.name, Grant.resource_code, Grant.status_reason),
                        tiebreak=(Grant.id,))


def _back(url: str, msg: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?msg={msg}", status_code=303)


@router.get("/sharing")
def index(request: Request, db: Db, actor: Actor = requires(Action.REQUEST_VIEW)) -> Response:
    entries = list(db.execute(select(CatalogEntry).where(CatalogEntry.status == EntryStatus.REGISTERED,
                                                         CatalogEntry.unit_id != (actor.unit_id or 0))
                              .order_by(CatalogEntry.code).limit(500)).scalars())
    shown, table = paged(db, service.requests_query(actor), request, REQUEST_TABLE)
    return render(request, "sharing/index.html", {
        "requests": shown, "table": table, "entries": entries, "labels": service.STATUS_LABELS,
        "can_apply": bool(policy.can(actor, Action.SHARE_REQUEST))})


def _form_context(db: Db, actor: Actor, entry: CatalogEntry, renew: int | None) -> dict[str, object]:
    systems = list(db.execute(select(System).where(System.unit_id == (actor.unit_id or 0))).scalars())
    return {"entry": entry, "systems": systems, "blocked": service.not_shared_reason(entry), "renew": renew,
            "today": clock.today()}


@router.get("/sharing/apply/{code:path}")
def apply_form(code: str, request: Request, db: Db, renew: Id | None = None,
               actor: Actor = requires(Action.SHARE_REQUEST)) -> Response:
    entry = service.get_entry_by_code(db, code=code)
    context = _form_context(db, actor, entry, renew)
    return render(request, "sharing/apply.html", context, status_code=200)


@router.post("/sharing/apply/{code:path}")
async def apply_submit(code: str, request: Request, db: Db, settings: AppSettings,
                       actor: Actor = requires(Action.SHARE_REQUEST)) -> Response:
    form = await request.form()
    entry = service.get_entry_by_code(db, code=code)
    renew = form.get("renewal_of_grant_id") or None
    try:
        data = ShareRequestCreate(
            code=code, fields=[str(v) for v in form.getlist("fields")], duty=str(form.get("duty", "")),
            legal_basis=str(form.get("legal_basis", "")), system_id=int(str(form.get("system_id") or 0)),
            valid_until=date.fromisoformat(str(form.get("valid_until") or "1900-01-01")),
            daily_volume=int(str(form.get("daily_volume") or 0)),
            renewal_of_grant_id=int(str(renew)) if renew else None)
        req = service.submit_request(db, actor, settings, data=data)
    except (ValidationError, ValueError, GovdataError) as exc:
        db.rollback()
        context = _form_context(db, actor, entry, int(str(renew)) if renew else None)
        context.update({"error": _message(exc), "form": form})
        return render(request, "sharing/apply.html", context, status_code=_status(exc))
    done = "无条件共享，已开通" if req.status == RequestStatus.APPROVED else "申请已提交"
    return _back(f"/sharing/requests/{req.id}", done)


def _message(exc: Exception) -> str:
    if isinstance(exc, GovdataError):
        return exc.message
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}：{first['msg']}"
    return f"填写有误：{exc}"


def _status(exc: Exception) -> int:
    return exc.status if isinstance(exc, GovdataError) else 422


@router.get("/sharing/requests/{request_id}")
def show(request_id: Id, request: Request, db: Db, settings: AppSettings,
         actor: Actor = requires(Action.REQUEST_VIEW)) -> Response:
    req = service.view_request(db, actor, request_id=request_id)
    agreement = agreements.agreement_for_request(db, request_id=req.id)
    return render(request, "sharing/request.html", {
        "req": req, "labels": service.STATUS_LABELS, "agreement": agreement,
        "grant": grants.grant_for_request(db, request_id=req.id), "grant_labels": grants.STATUS_LABELS,
        "field_labels": {f.name: f.label for f in req.entry.fields},
        "field_rules": {f.name: rule_for(f) for f in req.entry.fields},
        "default_row_limit": settings.share_row_limit,
        "people": people_names(db, [req.opinion_by, req.decided_by])})


def _parsed(model: type[M], **values: object) -> M:
    """Form values into the schema; a shape error is a 422 naming the field, like the JSON API's."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise RuleViolation(f"字段 {field} 不合法：{first['msg']}", field=field) from exc


def _date(value: str, field: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise RuleViolation("日期格式应为 YYYY-MM-DD", field=field) from exc


@router.post("/sharing/requests/{request_id}/opinion")
async def opinion(request_id: Id, request: Request, db: Db, actor: Actor = requires(Action.SHARE_OPINION)) -> Response:
    form = await request.form()
    data = _parsed(OpinionIn, version=form.get("version"), agree=form.get("agree") == "yes",
                   opinion=str(form.get("opinion", "")), clear_fields=[str(v) for v in form.getlist("clear_fields")])
    service.give_opinion(db, actor, request_id=request_id, data=data)
    return _back(f"/sharing/requests/{request_id}", "意见已提交")


@router.post("/sharing/requests/{request_id}/review")
async def review(request_id: Id, request: Request, db: Db, settings: AppSettings,
                 actor: Actor = requires(Action.SHARE_REVIEW)) -> Response:
    form = await request.form()
    data = _parsed(ReviewIn, version=form.get("version"), approve=form.get("decision") == "approve",
                   note=str(form.get("note", "")), fields=[str(v) for v in form.getlist("fields")] or None,
                   valid_until=_date(str(form.get("valid_until") or ""), "valid_until"),
                   row_limit=form.get("row_limit") or None)
    service.review_request(db, actor, settings, request_id=request_id, data=data)
    return _back(f"/sharing/requests/{request_id}", "审核结果已提交")


@router.post("/sharing/requests/{request_id}/withdraw")
def withdraw(request_id: Id, db: Db, version: Annotated[Id, Form()],
             actor: Actor = requires(Action.SHARE_WITHDRAW)) -> Response:
    service.withdraw_request(db, actor, request_id=request_id, version=version)
    return _back(f"/sharing/requests/{request_id}", "申请已撤回")


@router.get("/sharing/reviews")
def reviews(request: Request, db: Db, actor: Actor = requires(Action.SHARE_REVIEW)) -> Response:
    return render(request, "sharing/reviews.html", {"requests": service.review_queue(db, actor),
                                                    "labels": service.STATUS_LABELS, "today": clock.today()})


@router.get("/sharing/agreements/{agreement_id}")
def agreement_page(agreement_id: Id, request: Request, db: Db,
                   actor: Actor = requires(Action.AGREEMENT_VIEW)) -> Response:
    agreement = agreements.view_agreement(db, actor, agreement_id=agreement_id)
    return render(request, "sharing/agreement.html",
                  {"agreement": agreement, "grant": agreements.grant_of(db, agreement)})


@router.get("/sharing/agreements/{agreement_id}/pdf")
def agreement_pdf(agreement_id: Id, db: Db, actor: Actor = requires(Action.AGREEMENT_VIEW)) -> Response:
    agreement = agreements.view_agreement(db, actor, agreement_id=agreement_id)
    name = f"agreement-SA-{agreement.request_id:06d}.pdf"
    return Response(agreements.render_pdf(agreement), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/sharing/agreements/{agreement_id}/accept")
def accept(agreement_id: Id, db: Db, actor: Actor = requires(Action.AGREEMENT_ACCEPT)) -> Response:
    agreements.accept_agreement(db, actor, agreement_id=agreement_id)
    return _back(f"/sharing/agreements/{agreement_id}", "已接受协议")


@router.get("/sharing/grants")
def grant_list(request: Request, db: Db, actor: Actor = requires(Action.GRANT_VIEW)) -> Response:
    shown, table = paged(db, grants.grants_query(actor), request, GRANT_TABLE)
    return render(request, "sharing/grants.html", {"grants": shown, "table": table,
                                                   "entries": grants.entry_names(db, shown),
                                                   "labels": grants.STATUS_LABELS, "GrantStatus": GrantStatus})


@router.post("/sharing/grants/{grant_id}/activate")
def activate(grant_id: Id, db: Db, actor: Actor = requires(Action.GRANT_ACTIVATE)) -> Response:
    grants.activate_grant(db, actor, grant_id=grant_id)
    return _back("/sharing/grants", "访问权限已开通")


@router.post("/sharing/grants/{grant_id}/suspend")
def suspend(grant_id: Id, db: Db, reason: Text, actor: Actor = requires(Action.GRANT_SUSPEND)) -> Response:
    grants.suspend_grant(db, actor, grant_id=grant_id, reason=reason or "未说明")
    return _back("/sharing/grants", "访问权限已暂停")


@router.post("/sharing/grants/{grant_id}/revoke")
def revoke(grant_id: Id, db: Db, reason: Text, actor: Actor = requires(Action.GRANT_SUSPEND)) -> Response:
    grants.revoke_grant(db, actor, grant_id=grant_id, reason=reason or "未说明")
    return _back("/sharing/grants", "访问权限已撤销")


@router.get("/sharing/usage")
def usage_page(request: Request, db: Db, actor: Actor = requires(Action.USAGE_VIEW)) -> Response:
    calls = usage.calls_by_day(db, actor)
    return render(request, "sharing/usage.html", {
        "provided": usage.provider_usage(db, actor), "consumed": usage.consumer_usage(db, actor),
        "scope": usage.scope(actor), "calls": line_chart(calls, counts=True), "calls_total": sum(v for _, v in calls),
        "grant_labels": grants.STATUS_LABELS})


@router.get("/overview")
def city_overview(request: Request, db: Db, actor: Actor = requires(Action.CITY_OVERVIEW)) -> Response:
    return render(request, "sharing/city.html", {"charts": city.city_charts(db, actor), "today": clock.today()})


@router.get("/sharing/usage.csv")
def usage_csv(db: Db, side: str = "provider", actor: Actor = requires(Action.USAGE_VIEW)) -> Response:
    return Response(usage.usage_csv(db, actor, side=side), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="share-usage-{side}.csv"'})


@router.get("/sharing/credentials")
def credentials_page(request: Request, db: Db, actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> Response:
    systems, table = paged(db, systems_query(), request, org_views.SYSTEM_TABLE)
    return render(request, "sharing/credentials.html", {
        "systems": systems, "table": table, "today": clock.today(), "refusal": credentials.refusal_reason,
        "live": {s.id: credentials.live_credentials(db, system_id=s.id) for s in systems}})


@router.post("/sharing/credentials/{system_id}/issue")
def issue(system_id: Id, request: Request, db: Db, settings: AppSettings, rotate: Annotated[str, Form()] = "",
          actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> Response:
    if rotate == "yes":
        issued = credentials.rotate_credential(db, actor, settings, system_id=system_id)
    else:
        issued = credentials.issue_credential(db, actor, settings, system_id=system_id)
    system = credentials.get_system(db, system_id=system_id)
    # Shown once, on this answer to the POST; only the hash is stored.
    return render(request, "sharing/credential_issued.html", {"issued": issued, "system": system})


@router.post("/sharing/credentials/revoke/{credential_id}")
def revoke_credential(credential_id: Id, db: Db, actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> Response:
    credentials.revoke_credential(db, actor, credential_id=credential_id)
    return _back("/sharing/credentials", "凭证已吊销")
