"""HTML pages of sharing: apply, decide, agreements, grants, usage and the center's system credentials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select

from govdata import clock, policy
from govdata.actor import Actor
from govdata.auth.service import people_names
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.errors import GovdataError
from govdata.masking.rules import rule_for
from govdata.orgs.models import System
from govdata.policy import Action, grading
from govdata.quality.charts import line_chart
from govdata.sharing import agreements, city, credential_pages, grants, service, usage
from govdata.sharing.models import Grant, GrantStatus, RequestStatus, ShareRequest
from govdata.sharing.schemas import OpinionIn, ReasonIn, ReviewIn, ShareRequestCreate, VersionIn
from govdata.types import Id, as_id
from govdata.web.deps import AppSettings, Db, requires
from govdata.web.errors import note_refusal
from govdata.web.forms import FormError, form_dict, form_lists, from_error, merge, parse
from govdata.web.tables import TableSpec, paged
from govdata.web.templating import render, templates

templates.env.globals["needs_review"] = grading.needs_review  # core data: reviewed whatever its share type

router = APIRouter(tags=["sharing-pages"], include_in_schema=False)
router.include_router(credential_pages.router)
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
def index(request: Request, db: Db, q: str = "", actor: Actor = requires(Action.REQUEST_VIEW)) -> Response:
    entries = list(db.execute(select(CatalogEntry).where(CatalogEntry.status == EntryStatus.REGISTERED,
                                                         CatalogEntry.unit_id != (actor.unit_id or 0))
                              .order_by(CatalogEntry.code).limit(500)).scalars())
    words = q.strip().lower()
    if words:  # the search box works without script too (picker.js filters the rows as one types)
        entries = [e for e in entries if words in f"{e.code} {e.name} {e.unit.name}".lower()]
    shown, table = paged(db, service.requests_query(actor), request, REQUEST_TABLE)
    return render(request, "sharing/index.html", {
        "requests": shown, "table": table, "entries": entries, "labels": service.STATUS_LABELS,
        "can_apply": bool(policy.can(actor, Action.SHARE_REQUEST)), "q": q})


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

APPLY_LABELS = {"code": "目录编码", "fields": "申请的信息项", "duty": "履职需要", "legal_basis": "法律依据",
                "system_id": "调用系统", "valid_until": "使用期限至", "daily_volume": "预计日调用量",
                "renewal_of_grant_id": "续期的访问权限"}
OPINION_LABELS = {"version": "版本", "agree": "是否同意", "opinion": "意见", "clear_fields": "明文提供的信息项",
                  "clear_reason": "明文提供理由"}
REVIEW_LABELS = {"version": "版本", "decision": "审核结果", "note": "意见", "fields": "批准的信息项",
                 "valid_until": "批准期限至", "row_limit": "每次调用最多返回记录数"}
REASON_LABELS = {"reason": "理由"}


def _first(posted: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[0] for k, v in posted.items() if v}


@router.post("/sharing/apply/{code:path}")
async def apply_submit(code: str, request: Request, db: Db, settings: AppSettings,
                       actor: Actor = requires(Action.SHARE_REQUEST)) -> Response:
    posted = await form_lists(request)
    entry = service.get_entry_by_code(db, code=code)
    values = _first(posted)
    renew = as_id(values.get("renewal_of_grant_id", ""))
    data = parse(ShareRequestCreate, {**values, "code": code, "fields": posted.get("fields", [])}, APPLY_LABELS)
    if not isinstance(data, FormError):
        try:
            req = service.submit_request(db, actor, settings, data=data)
            done = "无条件共享，已开通" if req.status == RequestStatus.APPROVED else "申请已提交"
            return _back(f"/sharing/requests/{req.id}", done)
        except GovdataError as exc:
            db.rollback()
            note_refusal(request, exc)
            data = from_error(exc, APPLY_LABELS)
    context = _form_context(db, actor, entry, renew)
    context.update({"error": data, "form": posted})
    return render(request, "sharing/apply.html", context, status_code=data.status)


def _show(request: Request, db: Db, settings: AppSettings, actor: Actor, request_id: int,
          error: FormError | None = None, form: dict[str, list[str]] | None = None, which: str = "") -> Response:
    req = service.view_request(db, actor, request_id=request_id)
    agreement = agreements.agreement_for_request(db, request_id=req.id)
    return render(request, "sharing/request.html", {
        "req": req, "labels": service.STATUS_LABELS, "agreement": agreement,
        "grant": grants.grant_for_request(db, request_id=req.id), "grant_labels": grants.STATUS_LABELS,
        "field_labels": {f.name: f.label for f in req.entry.fields},
        "field_rules": {f.name: rule_for(f) for f in req.entry.fields},
        "default_row_limit": settings.share_row_limit,
        "people": people_names(db, [req.opinion_by, req.decided_by]),
        "error": error, "form": form or {}, "which": which}, status_code=error.status if error else 200)


@router.get("/sharing/requests/{request_id}")
def show(request_id: Id, request: Request, db: Db, settings: AppSettings,
         actor: Actor = requires(Action.REQUEST_VIEW)) -> Response:
    return _show(request, db, settings, actor, request_id)


def _decide(request: Request, db: Db, settings: AppSettings, actor: Actor, request_id: int, which: str,
            posted: dict[str, list[str]], data: Any, act: Callable[[Any], object],
            labels: dict[str, str], done: str) -> Response:
    """Run a decision; a refusal re-renders the request page with the message beside its field."""
    if not isinstance(data, FormError):
        try:
            act(data)
            return _back(f"/sharing/requests/{request_id}", done)
        except GovdataError as exc:
            db.rollback()
            note_refusal(request, exc)
            data = from_error(exc, labels)
    return _show(request, db, settings, actor, request_id, data, posted, which)


def _choice(posted: dict[str, list[str]], name: str, allowed: tuple[str, str], message: str,
            data: M | FormError) -> M | FormError:
    """A decision must be chosen by the person (the form preselects none)."""
    if _first(posted).get(name) in allowed:
        return data
    missing = FormError(message, name, 422, {name: message})
    return merge(missing, data if isinstance(data, FormError) else None) or missing


@router.post("/sharing/requests/{request_id}/opinion")
async def opinion(request_id: Id, request: Request, db: Db, settings: AppSettings,
                  actor: Actor = requires(Action.SHARE_OPINION)) -> Response:
    posted = await form_lists(request)
    agree = {"yes": True, "no": False}.get(_first(posted).get("agree", ""), "")
    data = parse(OpinionIn, {**_first(posted), "agree": agree, "clear_fields": posted.get("clear_fields", [])},
                 OPINION_LABELS)
    data = _choice(posted, "agree", ("yes", "no"), "请选择同意或不同意共享", data)
    return _decide(request, db, settings, actor, request_id, "opinion", posted, data,
                   lambda d: service.give_opinion(db, actor, request_id=request_id, data=d), OPINION_LABELS,
                   "意见已提交")


@router.post("/sharing/requests/{request_id}/review")
async def review(request_id: Id, request: Request, db: Db, settings: AppSettings,
                 actor: Actor = requires(Action.SHARE_REVIEW)) -> Response:
    posted = await form_lists(request)
    values = _first(posted)
    data = parse(ReviewIn, {**values, "approve": values.get("decision") == "approve",
                            "fields": posted.get("fields") or None}, REVIEW_LABELS)
    data = _choice(posted, "decision", ("approve", "reject"), "请选择批准或不予批准", data)
    return _decide(request, db, settings, actor, request_id, "review", posted, data,
                   lambda d: service.review_request(db, actor, settings, request_id=request_id, data=d),
                   REVIEW_LABELS, "审核结果已提交")


@router.post("/sharing/requests/{request_id}/withdraw")
async def withdraw(request_id: Id, request: Request, db: Db, settings: AppSettings,
                   actor: Actor = requires(Action.SHARE_WITHDRAW)) -> Response:
    posted = await form_lists(request)
    data = parse(VersionIn, _first(posted), OPINION_LABELS)
    return _decide(request, db, settings, actor, request_id, "withdraw", posted, data,
                   lambda d: service.withdraw_request(db, actor, request_id=request_id, version=d.version),
                   OPINION_LABELS, "申请已撤回")


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


def _grants_page(request: Request, db: Db, actor: Actor, error: FormError | None = None,
                 form: dict[str, Any] | None = None, failed_id: int | None = None) -> Response:
    shown, table = paged(db, grants.grants_query(actor), request, GRANT_TABLE)
    return render(request, "sharing/grants.html", {
        "grants": shown, "table": table, "entries": grants.entry_names(db, shown), "labels": grants.STATUS_LABELS,
        "GrantStatus": GrantStatus, "error": error, "form": form or {}, "failed_id": failed_id},
        status_code=error.status if error else 200)


@router.get("/sharing/grants")
def grant_list(request: Request, db: Db, actor: Actor = requires(Action.GRANT_VIEW)) -> Response:
    return _grants_page(request, db, actor)


@router.post("/sharing/grants/{grant_id}/activate")
def activate(grant_id: Id, db: Db, actor: Actor = requires(Action.GRANT_ACTIVATE)) -> Response:
    grants.activate_grant(db, actor, grant_id=grant_id)
    return _back("/sharing/grants", "访问权限已开通")


async def _grant_change(request: Request, db: Db, actor: Actor, grant_id: int,
                        change: Callable[..., object], done: str) -> Response:
    """Suspend or revoke with a stated reason; a missing reason or a refusal re-renders the list."""
    form = await form_dict(request)
    data = parse(ReasonIn, form, REASON_LABELS)
    if not isinstance(data, FormError):
        try:
            change(db, actor, grant_id=grant_id, reason=data.reason)
            return _back("/sharing/grants", done)
        except GovdataError as exc:
            db.rollback()
            note_refusal(request, exc)
            data = from_error(exc, REASON_LABELS)
    return _grants_page(request, db, actor, data, form, grant_id)


@router.post("/sharing/grants/{grant_id}/suspend")
async def suspend(grant_id: Id, request: Request, db: Db, actor: Actor = requires(Action.GRANT_SUSPEND)) -> Response:
    return await _grant_change(request, db, actor, grant_id, grants.suspend_grant, "访问权限已暂停")


@router.post("/sharing/grants/{grant_id}/revoke")
async def revoke(grant_id: Id, request: Request, db: Db, actor: Actor = requires(Action.GRANT_SUSPEND)) -> Response:
    return await _grant_change(request, db, actor, grant_id, grants.revoke_grant, "访问权限已撤销")


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
