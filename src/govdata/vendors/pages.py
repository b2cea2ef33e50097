"""HTML pages of vendor confidentiality agreements: the list, the form, one agreement with its file and the
button to end it early, and for the vendor the resources it may look up (each lookup asks its purpose)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from govdata import clock, policy
from govdata.actor import Actor
from govdata.auth.service import people_names
from govdata.catalog.models import CatalogEntry
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.types import Id
from govdata.vendors import service
from govdata.vendors.api import file_response
from govdata.vendors.models import VendorAgreement
from govdata.vendors.schemas import VendorAgreementCreate, VendorAgreementEnd
from govdata.web import forms
from govdata.web.deps import AppSettings, Db, WriteDb, requires
from govdata.web.errors import note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/vendors/agreements"
LABELS = {"vendor_user_id": "服务商账号", "company": "服务商单位名称", "unit_id": "签约单位",
          "signed_by": "签约单位签署人", "unit_ids": "约定范围（单位）", "entry_codes": "约定范围（数据资源）",
          "valid_from": "生效日", "valid_until": "截止日", "reason": "终止原因", "file": "协议文件"}


def _create_values(form: FormData) -> dict[str, Any]:
    codes = str(form.get("entry_codes") or "").replace("，", ",").replace(",", "\n").splitlines()
    return {"vendor_user_id": form.get("vendor_user_id"), "company": form.get("company"),
            "unit_id": form.get("unit_id"), "signed_by": form.get("signed_by"),
            "unit_ids": form.getlist("unit_ids"), "entry_codes": codes,
            "valid_from": form.get("valid_from"), "valid_until": form.get("valid_until")}


def _form(request: Request, db: Db, actor: Actor, *, form: FormData | None = None,
          error: forms.FormError | None = None) -> Response:
    return render(request, "vendors/form.html", {
        "vendors": service.vendor_accounts(db), "units": service.contracting_units(db, actor), "form": form,
        "error": error, "today": clock.today()}, status_code=error.status if error else 200)


@router.get(BASE)
def agreements_page(request: Request, db: Db, actor: Actor = requires(Action.VENDOR_AGREEMENT_VIEW)) -> Response:
    agreements = service.list_agreements(db, actor)
    return render(request, "vendors/agreements.html", {
        "agreements": agreements, "today": clock.today(), "labels": service.STATE_LABELS,
        "can_record": bool(policy.role_allows(actor, Action.VENDOR_AGREEMENT_MANAGE))})


@router.get(BASE + "/new")
def new_agreement(request: Request, db: Db, actor: Actor = requires(Action.VENDOR_AGREEMENT_MANAGE)) -> Response:
    return _form(request, db, actor)


@router.post(BASE)
async def record_agreement(request: Request, db: Db, settings: AppSettings,
                           actor: Actor = requires(Action.VENDOR_AGREEMENT_MANAGE)) -> Response:
    form = await request.form()
    file = form.get("file")
    parsed = forms.parse(VendorAgreementCreate, _create_values(form), LABELS)
    no_file = None
    if not isinstance(file, UploadFile) or not file.filename:
        no_file = forms.FormError("请上传签署的保密协议文件", "file", 422,
                                  {"file": "请上传签署的保密协议文件（PDF、JPEG 或 PNG）"})
    error = forms.merge(parsed if isinstance(parsed, forms.FormError) else None, no_file)
    if error is not None or isinstance(parsed, forms.FormError) or not isinstance(file, UploadFile):
        return _form(request, db, actor, form=form, error=error)
    try:
        agreement = await run_in_threadpool(service.record_agreement, db, actor, settings, data=parsed,
                                            file_name=file.filename or "", stream=file.file)
    except GovdataError as exc:
        db.rollback()
        note_refusal(request, exc)
        return _form(request, db, actor, form=form, error=forms.from_error(exc, LABELS))
    return RedirectResponse(f"{BASE}/{agreement.id}?msg=保密协议已登记", status_code=303)


def _may_look_up(actor: Actor, entry: CatalogEntry) -> bool:
    """A lookup link where the policy lets the reader in; a vendor in scope gets one too, to the page where it
    states its purpose first."""
    if policy.needs_purpose(actor, Action.RESOURCE_READ):
        return bool(policy.can(actor, Action.CATALOG_VIEW, entry))
    return bool(policy.can(actor, Action.RESOURCE_READ, entry))


def _detail(request: Request, db: Db, actor: Actor, agreement: VendorAgreement, *,
            error: forms.FormError | None = None, form: dict[str, Any] | None = None) -> Response:
    entries = service.entries_in_scope(db, agreement)
    return render(request, "vendors/agreement.html", {
        "agreement": agreement, "state": agreement.state(clock.today()), "labels": service.STATE_LABELS,
        "entries": entries, "lookups": {e.id for e in entries if _may_look_up(actor, e)}, "error": error,
        "form": form or {}, "people": people_names(db, [agreement.created_by, agreement.ended_by])},
        status_code=error.status if error else 200)


@router.get(BASE + "/{vendor_agreement_id}")
def agreement_page(request: Request, vendor_agreement_id: Id, db: Db,
                   actor: Actor = requires(Action.VENDOR_AGREEMENT_VIEW)) -> Response:
    agreement = service.view_agreement(db, actor, agreement_id=vendor_agreement_id)
    return _detail(request, db, actor, agreement)


@router.get(BASE + "/{vendor_agreement_id}/file")
def agreement_file(vendor_agreement_id: Id, db: WriteDb, settings: AppSettings,
                   actor: Actor = requires(Action.VENDOR_AGREEMENT_VIEW)) -> Response:
    agreement, data = service.agreement_file(db, actor, settings, agreement_id=vendor_agreement_id)
    return file_response(agreement.file_name, agreement.file_type, data)


@router.post(BASE + "/{vendor_agreement_id}/end")
async def end_agreement(request: Request, vendor_agreement_id: Id, db: Db,
                        actor: Actor = requires(Action.VENDOR_AGREEMENT_MANAGE)) -> Response:
    form = await forms.form_dict(request)
    data = forms.parse(VendorAgreementEnd, {"reason": form.get("reason", "")}, LABELS)
    if not isinstance(data, forms.FormError):
        try:
            service.end_agreement(db, actor, agreement_id=vendor_agreement_id, data=data)
            return RedirectResponse(f"{BASE}/{vendor_agreement_id}?msg=保密协议已提前终止，即时生效", status_code=303)
        except GovdataError as exc:
            if exc.status == 403:
                raise
            db.rollback()
            note_refusal(request, exc)
            data = forms.from_error(exc, LABELS)
    agreement = service.view_agreement(db, actor, agreement_id=vendor_agreement_id)
    return _detail(request, db, actor, agreement, error=data, form=form)
