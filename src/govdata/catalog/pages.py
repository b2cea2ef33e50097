"""HTML pages of the catalog; plain forms that work without JavaScript. Thin: one service call each."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.catalog import browse, excel, forms, labels, lifecycle, masking_rules, service, versions
from govdata.catalog.api import XLSX
from govdata.catalog.browse import EntryQuery
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.catalog.schemas import FilingDecision, RetireIn
from govdata.errors import BadRequest, GovdataError, NotFound
from govdata.orgs.service import find_unit_by_code
from govdata.policy import Action, can, grading
from govdata.types import Id, as_id
from govdata.web.deps import AppSettings, Db, ReadDb, WriteDb, get_database, requires
from govdata.web.errors import note_refusal
from govdata.web.forms import FormError, form_dict, from_error, parse
from govdata.web.templating import render, templates

router = APIRouter(include_in_schema=False)
templates.env.globals["catalog_label"] = labels.label_of
templates.env.globals["catalog_choices"] = {name: labels.choices(enum) for name, enum in labels.BY_FIELD.items()}
templates.env.globals["masking_choices"] = masking_rules.choices
templates.env.globals["masking_label"] = masking_rules.label
templates.env.globals["field_grading"] = grading.field_reason
templates.env.globals["describe_diff"] = versions.describe
templates.env.globals["catalog_attr"] = lambda attr: versions.ATTR_LABELS.get(attr, attr)


def _done(url: str, message: str) -> RedirectResponse:
    joiner = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{joiner}msg={quote(message)}", status_code=303)


def entry_url(entry: CatalogEntry) -> str:
    return f"/catalog/{entry.id}"


def _listing(request: Request, db: Session, actor: Actor, query: EntryQuery, *, heading: str,
             unit: Any = None) -> HTMLResponse:
    page = browse.list_entries(db, actor, query=query)
    mine = policy.Mine(actor.id, actor.unit_id)  # a new entry would be the actor's own unit's
    params = {k: v for k, v in query.model_dump().items() if v not in (None, "", False) and k != "with_facets"}
    params.pop("page", None)
    return render(request, "catalog/list.html", {
        "page": page, "query": query, "heading": heading, "unit": unit, "params": params,
        "export_url": "/catalog/export.xlsx?" + urlencode(params),
        "pages": max(1, (page.total + query.per_page - 1) // query.per_page),
        "can_draft": can(actor, Action.CATALOG_DRAFT, mine), "can_import": can(actor, Action.CATALOG_IMPORT, mine),
        "facet_names": {"unit_id": "提供单位", "region_id": "区域", "category": "信息资源分类",
                        "share_type": "共享类型", "open_type": "开放类型", "format": "格式",
                        "update_cycle": "更新周期", "status": "状态"},
    })


@router.get("/catalog", response_class=HTMLResponse)
def catalog_home(request: Request, db: ReadDb, query: Annotated[EntryQuery, Query()],
                 actor: Actor = requires(Action.CATALOG_VIEW)) -> Response:
    own = actor.unit_id is not None and query.unit_id == actor.unit_id  # the 本单位目录 button's list
    return _listing(request, db, actor, query, heading="本单位数据目录" if own else "全市政务数据目录")


@router.get("/catalog/unit/{unit_code}", response_class=HTMLResponse)
def unit_home(request: Request, db: ReadDb, unit_code: str, query: Annotated[EntryQuery, Query()],
              actor: Actor = requires(Action.CATALOG_VIEW)) -> Response:
    unit = find_unit_by_code(db, code=unit_code)
    if unit is None:
        raise NotFound(f"单位 {unit_code} 不存在", field="unit_code")
    query.unit_id = unit.id
    return _listing(request, db, actor, query, heading=f"{unit.name} · 数据目录", unit=unit)


@router.get("/catalog/export.xlsx")
def export_xlsx(db: WriteDb, query: Annotated[EntryQuery, Query()],
                actor: Actor = requires(Action.CATALOG_EXPORT)) -> Response:
    content = excel.export_entries(db, actor, entry_ids=browse.entry_ids(db, actor, query=query))
    return Response(content, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="catalog.xlsx"'})


@router.get("/catalog/import", response_class=HTMLResponse)
def import_form(request: Request, actor: Actor = requires(Action.CATALOG_IMPORT)) -> Response:
    return render(request, "catalog/import.html", {"error": None, "problems": []})


@router.post("/catalog/import", response_class=HTMLResponse)
async def import_upload(request: Request, db: Db, settings: AppSettings, file: Annotated[UploadFile, File()],
                        actor: Actor = requires(Action.CATALOG_IMPORT)) -> Response:
    limit = min(settings.max_upload_bytes, excel.MAX_BYTES)
    content = await file.read(limit + 1)
    try:
        if len(content) > limit:
            raise BadRequest(f"文件超过 {limit // 1024 // 1024} MB", field="file")
        created = excel.import_entries(db, actor, content=content, filename=file.filename or "",
                                       xlsx_limit=settings.max_xlsx_expanded_bytes)
    except GovdataError as exc:
        db.rollback()  # all or nothing: not one entry of a failed import is kept
        problems = exc.context.get("details") or []
        return render(request, "catalog/import.html", {"error": exc.message, "problems": problems},
                      status_code=exc.status)
    return _done("/catalog?status=draft&sort=name", f"已导入 {len(created)} 条信息资源（草稿）")


def _form(request: Request, *, values: dict[str, str], rows: list[dict[str, Any]], action: str, title: str,
          errors: list[str] | None = None, matches: list[Any] | None = None, status_code: int = 200,
          extra_rows: int = forms.BLANK_ROWS, by_input: dict[str, str] | None = None) -> HTMLResponse:
    blank = {name: "" for name in forms.FIELD_INPUTS} | {flag: False for flag in forms.FLAGS}
    all_rows = rows + [dict(blank) for _ in range(extra_rows)]
    with get_database(request).read() as db:  # the 分类代码 picker: the codes in use, by their category
        codes = browse.category_codes(db)
    return render(request, "catalog/form.html", {"values": values, "rows": all_rows, "action": action,
                                                 "title": title, "errors": errors or [], "matches": matches or [],
                                                 "category_codes": codes,
                                                 "error": FormError("", None, 422, by_input) if by_input else None},
                  status_code=status_code)


@router.get("/catalog/new", response_class=HTMLResponse)
def new_form(request: Request, actor: Actor = requires(Action.CATALOG_DRAFT)) -> Response:
    values = {name: "" for name in forms.ENTRY_INPUTS} | {"is_classified": ""}
    values.update(category="department", format="database", share_type="unconditional", share_method="interface",
                  open_type="closed", update_cycle="daily", ingest_mode="realtime", security_class="general")
    return _form(request, values=values, rows=[], action="/catalog/new", title="新建信息资源", extra_rows=5)


async def _save(request: Request, db: Session, actor: Actor, *, entry_id: int | None, action: str,
                title: str) -> Response:
    form = await request.form()
    values, rows = forms.values_from_form(form)
    if form.get("more_rows"):
        return _form(request, values=values, rows=rows, action=action, title=title, extra_rows=5)
    data, problems = forms.parse_by_input(values, rows)
    if data is None:
        return _form(request, values=values, rows=rows, action=action, title=title, errors=list(problems.values()),
                     by_input=problems, status_code=422)
    try:
        if entry_id is None:
            entry = service.create_entry(db, actor, data=data)
        else:
            entry = service.update_entry(db, actor, entry_id=entry_id, data=data)
    except GovdataError as exc:
        if exc.status == 403:
            raise
        db.rollback()
        note_refusal(request, exc)
        item = forms.ITEM_LABELS.get(exc.field or "", "")
        message = f"{item}：{exc.message}" if item else exc.message
        return _form(request, values=values, rows=rows, action=action, title=title, errors=[message],
                     by_input={exc.field or "": message},
                     matches=exc.context.get("details") or [], status_code=exc.status)
    saved = "已保存" if entry.status == EntryStatus.DRAFT.value else "变更已保存，待负责人提交登记"
    return _done(entry_url(entry), saved)


@router.post("/catalog/new", response_class=HTMLResponse)
async def create(request: Request, db: Db, actor: Actor = requires(Action.CATALOG_DRAFT)) -> Response:
    return await _save(request, db, actor, entry_id=None, action="/catalog/new", title="新建信息资源")


FILING_LABELS = {"accept": "审核结果", "note": "审核意见"}


def _filings_page(request: Request, db: Session, status: str, error: FormError | None = None,
                  form: dict[str, Any] | None = None, failed_id: int | None = None) -> HTMLResponse:
    return render(request, "catalog/filings.html", {
        "filings": lifecycle.list_filings(db, status=status or None), "status": status, "error": error,
        "form": form or {}, "failed_id": failed_id}, status_code=error.status if error else 200)


@router.get("/catalog/filings", response_class=HTMLResponse)
def filings(request: Request, db: Db,
            status: Annotated[str, Query(pattern="^(pending|accepted|rejected|)$")] = "pending",
            actor: Actor = requires(Action.FILING_REVIEW)) -> Response:
    return _filings_page(request, db, status)


@router.post("/catalog/filings/{filing_id}/decision", response_class=HTMLResponse)
async def decide(request: Request, db: Db, filing_id: Id, actor: Actor = requires(Action.FILING_REVIEW)) -> Response:
    form = await form_dict(request)
    accept = form.get("accept")
    data: FilingDecision | FormError
    if accept not in ("1", "0"):
        data = FormError("请选择通过或退回", "accept", 422, {"accept": "请选择通过备案或退回"})
    else:
        data = parse(FilingDecision, {"accept": accept == "1", "note": form.get("note", "")}, FILING_LABELS)
    if not isinstance(data, FormError):
        try:
            filing = lifecycle.decide_filing(db, actor, filing_id=filing_id, decision=data)
            return _done("/catalog/filings", f"“{filing.entry.name}”的备案已{'通过' if data.accept else '退回'}")
        except GovdataError as exc:
            if exc.status == 403:
                raise
            db.rollback()
            note_refusal(request, exc)
            data = from_error(exc, FILING_LABELS)
    return _filings_page(request, db, "pending", data, form, filing_id)


@router.get("/catalog/{entry_id:int}/edit", response_class=HTMLResponse)
def edit_form(request: Request, db: Db, entry_id: Id, actor: Actor = requires(Action.CATALOG_DRAFT)) -> Response:
    entry = service.view_entry(db, actor, entry_id=entry_id)
    values, rows = forms.values_from_entry(service.draft_content(entry))
    values["note"] = ""
    return _form(request, values=values, rows=rows, action=f"/catalog/{entry.id}/edit", title=f"修改：{entry.name}")


@router.post("/catalog/{entry_id:int}/edit", response_class=HTMLResponse)
async def edit(request: Request, db: Db, entry_id: Id, actor: Actor = requires(Action.CATALOG_DRAFT)) -> Response:
    return await _save(request, db, actor, entry_id=entry_id, action=f"/catalog/{entry_id}/edit", title="修改信息资源")


@router.post("/catalog/{entry_id:int}/submit")
def submit(db: Db, entry_id: Id, actor: Actor = requires(Action.CATALOG_SUBMIT)) -> Response:
    entry = lifecycle.submit_entry(db, actor, entry_id=entry_id)
    if service.pending_filing(db, entry_id=entry.id) is not None:
        return _done(entry_url(entry), f"已提交，资源代码 {entry.code}，等待大数据局备案审核")
    return _done(entry_url(entry), f"已登记，资源代码 {entry.code}，版本 {entry.version}")


@router.post("/catalog/{entry_id:int}/retire")
async def retire(request: Request, db: Db, entry_id: Id, actor: Actor = requires(Action.CATALOG_RETIRE)) -> Response:
    form = await form_dict(request)
    data = parse(RetireIn, form, {"reason": "撤销理由"})
    if isinstance(data, FormError):
        return _detail_page(request, db, actor, service.view_entry(db, actor, entry_id=entry_id), data, form)
    entry = lifecycle.retire_entry(db, actor, entry_id=entry_id, reason=data.reason)
    return _done(entry_url(entry), "已撤销，资源代码保留不再使用")


@router.get("/catalog/{entry_id:int}/diff", response_class=HTMLResponse)
def diff_page(request: Request, db: Db, entry_id: Id, to_version: Annotated[Id | None, Query()] = None,
              actor: Actor = requires(Action.CATALOG_VIEW)) -> Response:
    entry = service.view_entry(db, actor, entry_id=entry_id)
    change = service.version_diff(db, entry=entry, to_version=to_version)
    return render(request, "catalog/diff.html", {"entry": entry, "change": change,
                                                 "to_version": to_version or entry.version})


@router.get("/catalog/{ref:path}", response_class=HTMLResponse)
def detail(request: Request, db: Db, ref: str, actor: Actor = requires(Action.CATALOG_VIEW)) -> Response:
    # An all-digit ref beyond any id is looked up as a code (and not found) instead of overflowing.
    entry_id = as_id(ref)
    entry = service.view_entry(db, actor, entry_id=entry_id) if entry_id else service.view_entry(db, actor, code=ref)
    return _detail_page(request, db, actor, entry)


def _detail_page(request: Request, db: Session, actor: Actor, entry: CatalogEntry, error: FormError | None = None,
                 form: dict[str, Any] | None = None) -> HTMLResponse:
    pending = None
    if entry.pending_change:
        pending = versions.diff(versions.snapshot(entry), versions.content_of(service.draft_content(entry)))
    return render(request, "catalog/detail.html", {
        "entry": entry, "versions": service.list_versions(db, entry_id=entry.id),
        "filings": lifecycle.list_filings(db, entry_id=entry.id), "pending": pending,
        "open_filing": service.pending_filing(db, entry_id=entry.id),
        "may_edit": policy.can(actor, Action.CATALOG_DRAFT, entry) and entry.status in ("draft", "registered"),
        "may_submit": policy.can(actor, Action.CATALOG_SUBMIT, entry)
        and (entry.status == "draft" or bool(entry.pending_change)),
        "may_retire": policy.can(actor, Action.CATALOG_RETIRE, entry) and entry.status != "retired",
        "submitters": lifecycle.submitters(db, entry) if entry.status == "draft" or entry.pending_change else [],
        "error": error, "form": form or {},
        "grading_reasons": grading.entry_reasons(entry, grading.caps_from(request.app.state.settings)),
    }, status_code=error.status if error else 200)
