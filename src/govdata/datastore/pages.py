"""Aggregation pages: the unit's resources, an entry's freshness, batches, upload, lookups, filings.

Plain forms that work without JavaScript: an upload is saved, previewed (first rows mapped to the
fields), checked by a dry run that reports every problem, then loaded; each step ends on a page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from govdata import policy
from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry
from govdata.datastore import background, filings, freshness, owner, returnflow, service, uploads
from govdata.datastore.export import field_labels, rejects_response
from govdata.datastore.models import MODE_LABELS, SOURCE_LABELS, STATUS_LABELS, BatchSource, LoadMode
from govdata.errors import GovdataError, RuleViolation
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, WriteDb, requires
from govdata.web.errors import attempt, note_refusal
from govdata.web.forms import FormError, form_dict, from_error, parse
from govdata.web.templating import render
from govdata.work import service as work
from govdata.work.pages import to_progress
from govdata.work.runner import of_app

router = APIRouter(include_in_schema=False)
REVIEW_LABELS = {"decision": "审核结果", "note": "审核意见"}
CONNECTOR_LABELS = {"url": "上游地址", "auth_header": "认证头", "data_format": "格式", "paging": "分页",
                    "page_size": "每页条数", "records_path": "记录列表键", "cursor_path": "游标键",
                    "since_param": "增量参数名", "field_mapping": "字段映射"}


def _labels() -> dict[str, Any]:
    return {"status_labels": STATUS_LABELS, "source_labels": SOURCE_LABELS, "mode_labels": MODE_LABELS}


def _own_entry(db: Any, actor: Actor, entry_id: int, action: Action = Action.RESOURCE_READ) -> CatalogEntry:
    entry = service.get_entry(db, entry_id=entry_id)
    policy.require(actor, action, entry)
    return entry


@router.get("/resources", response_class=HTMLResponse)
def index(request: Request, db: Db, actor: Actor = requires(Action.RESOURCE_READ)) -> Response:
    items = freshness.list_freshness(db, visible=policy.where(actor, Action.RESOURCE_READ, CatalogEntry))
    return render(request, "datastore/index.html", {
        "items": items, "ask_purpose": policy.needs_purpose(actor, Action.RESOURCE_READ), **_labels()})


def _supervision(request: Request, db: Any, error: FormError | None = None, form: dict[str, Any] | None = None,
                 failed_id: int | None = None) -> Response:
    return render(request, "datastore/supervision.html", {
        "overdue": freshness.list_freshness(db, overdue_only=True),
        "missing": filings.entries_without_filing(db), "pending": filings.pending_filings(db),
        "error": error, "form": form or {}, "failed_id": failed_id}, status_code=error.status if error else 200)


@router.get("/resources/supervision", response_class=HTMLResponse)
def supervision(request: Request, db: Db, actor: Actor = requires(Action.FILING_REVIEW)) -> Response:
    return _supervision(request, db)


@router.post("/resources/filings/{filing_id}/review", response_class=HTMLResponse)
async def review_filing(request: Request, filing_id: Id, db: Db,
                        actor: Actor = requires(Action.FILING_REVIEW)) -> Response:
    """予以备案 / 不予备案 (the button pressed); a refusal is shown beside its field on the filing's own card."""
    form = await form_dict(request)
    decision, note = form.get("decision", ""), form.get("note", "")
    try:
        if decision not in ("accept", "reject"):
            raise RuleViolation("请选择予以备案或不予备案", field="decision")
        if len(note) > 2000:
            raise RuleViolation("不能超过 2000 个字符", field="note")
        filings.review_filing(db, actor, filing_id=filing_id, accept=decision == "accept", note=note)
    except GovdataError as exc:
        if exc.status in (403, 404):
            raise
        db.rollback()
        note_refusal(request, exc)
        return _supervision(request, db, from_error(exc, REVIEW_LABELS), form, filing_id)
    return RedirectResponse("/resources/supervision?msg=备案已审核", status_code=303)


def _entry_context(db: Any, entry: CatalogEntry) -> dict[str, Any]:
    return {"form": {}, "error": None, "failed_form": "", "entry": entry, "fresh": freshness.freshness_of(db, entry),
            "rows": service.count_rows(db, entry),
            "batches": service.list_batches(db, entry_id=entry.id, limit=20),
            "connector": returnflow.get_connector(db, entry_id=entry.id),
            "needs_filing": filings.needs_filing(entry), "filings": filings.filings_of(db, entry_id=entry.id),
            **_labels()}


@router.get("/resources/{entry_id}", response_class=HTMLResponse)
def entry_page(request: Request, entry_id: Id, db: WriteDb,
               actor: Actor = requires(Action.RESOURCE_READ)) -> Response:
    entry = _own_entry(db, actor, entry_id)
    return render(request, "datastore/entry.html", _entry_context(db, entry))


@router.get("/resources/{entry_id}/lookup", response_class=HTMLResponse)
def lookup(request: Request, entry_id: Id, db: WriteDb, field: str = "", value: str = "",
           actor: Actor = requires(Action.RESOURCE_READ)) -> Response:
    entry = _own_entry(db, actor, entry_id)
    found, error = None, None
    if field and value:
        try:
            found = owner.lookup_records(db, actor, entry=entry, field=field, values=[value])
        except RuleViolation as exc:
            error = exc.message
    return render(request, "datastore/lookup.html", {"entry": entry, "found": found, "error": error,
                                                     "field": field, "value": value, "ask_purpose": False,
                                                     "purpose": actor.purpose or ""},
                  status_code=422 if error else 200)


@router.get("/resources/{entry_id}/purpose", response_class=HTMLResponse)
def purpose_form(request: Request, entry_id: Id, db: Db, actor: Actor = requires(Action.CATALOG_VIEW)) -> Response:
    """Where a vendor says why before it looks records up (第二十九条): the lookup form with its purpose first.
    Nothing but the catalog's lookup fields is shown here; the lookup itself checks the agreement and purpose."""
    entry = service.get_entry(db, entry_id=entry_id)
    policy.require(actor, Action.CATALOG_VIEW, entry)
    return render(request, "datastore/lookup.html", {"entry": entry, "found": None, "error": None, "field": "",
                                                     "value": "", "ask_purpose": True, "purpose": ""})


@router.get("/resources/{entry_id}/history", response_class=HTMLResponse)
def history(request: Request, entry_id: Id, db: WriteDb,
            actor: Actor = requires(Action.RESOURCE_READ)) -> Response:
    entry = _own_entry(db, actor, entry_id)
    key = {k: v for k, v in request.query_params.items()}
    rows = owner.row_history(db, actor, entry=entry, key=key)
    return render(request, "datastore/history.html", {"entry": entry, "rows": rows, "key": key})


@router.get("/resources/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, batch_id: Id, db: WriteDb,
               actor: Actor = requires(Action.BATCH_VIEW)) -> Response:
    batch = service.get_batch(db, actor, batch_id=batch_id)
    result = service.batch_result(db, batch)
    return render(request, "datastore/batch.html", {"batch": batch, "result": result, **_labels(),
                                                    "field_labels": field_labels(batch)})


@router.get("/resources/batches/{batch_id}/rejects.csv")
def batch_rejects(request: Request, batch_id: Id, db: WriteDb,
                  actor: Actor = requires(Action.RESOURCE_READ)) -> Response:
    batch = service.get_batch(db, actor, batch_id=batch_id, action=Action.RESOURCE_READ)
    return rejects_response(request.app.state.database, batch)


@router.get("/resources/{entry_id}/upload", response_class=HTMLResponse)
def upload_form(request: Request, entry_id: Id, db: Db, actor: Actor = requires(Action.RESOURCE_UPLOAD)) -> Response:
    entry = _own_entry(db, actor, entry_id, Action.RESOURCE_UPLOAD)
    return render(request, "datastore/upload.html", {"entry": entry, "error": None})


@router.post("/resources/{entry_id}/upload", response_class=HTMLResponse)
async def upload(request: Request, entry_id: Id, db: Db, settings: AppSettings,
                 actor: Actor = requires(Action.RESOURCE_UPLOAD)) -> Response:
    entry = _own_entry(db, actor, entry_id, Action.RESOURCE_UPLOAD)
    form = await request.form()
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise RuleViolation("请选择要上传的文件", field="file")
        stored = uploads.save_upload(settings, entry=entry, name=file.filename, stream=file.file)
    except GovdataError as exc:
        return render(request, "datastore/upload.html", {"entry": entry, "error": exc.message}, status_code=422)
    return RedirectResponse(f"/resources/{entry.id}/upload/{stored.token}", status_code=303)


@router.get("/resources/{entry_id}/upload/{token}", response_class=HTMLResponse)
def upload_preview(request: Request, entry_id: Id, token: str, db: Db, settings: AppSettings,
                   actor: Actor = requires(Action.RESOURCE_UPLOAD)) -> Response:
    entry = _own_entry(db, actor, entry_id, Action.RESOURCE_UPLOAD)
    stored = uploads.find_upload(settings, entry=entry, token=token)
    running = work.active(db, key=background.upload_key(entry.id))
    try:
        rows, error, status = uploads.preview(entry, stored, xlsx_limit=settings.max_xlsx_expanded_bytes), None, 200
    except GovdataError as exc:
        rows, error, status = [], exc.message, exc.status
    return render(request, "datastore/preview.html", {"entry": entry, "upload": stored, "rows": rows,
                                                      "error": error, "running": running, **_labels()},
                  status_code=status)


@router.post("/resources/{entry_id}/upload/{token}/load", response_class=HTMLResponse)
def upload_load(request: Request, entry_id: Id, token: str, db: Db, settings: AppSettings,
                mode: Annotated[LoadMode, Form()] = LoadMode.ALL_OR_NOTHING,
                dry_run: Annotated[str, Form()] = "", actor: Actor = requires(Action.RESOURCE_UPLOAD)) -> Response:
    entry = _own_entry(db, actor, entry_id, Action.RESOURCE_UPLOAD)
    stored = uploads.find_upload(settings, entry=entry, token=token)
    moved = to_progress(lambda: background.start_upload(
        db, of_app(request), actor, entry=entry, upload=stored, mode=mode, dry_run=bool(dry_run),
        xlsx_limit=settings.max_xlsx_expanded_bytes) if work.in_background(settings, size=stored.size) else None)
    if moved is not None:
        return moved
    try:
        result = service.load_file(db, actor, entry=entry, path=stored.path, source=BatchSource.UPLOAD, mode=mode,
                                   dry_run=bool(dry_run), file_name=stored.name,
                                   xlsx_limit=settings.max_xlsx_expanded_bytes)
    except GovdataError as exc:
        db.rollback()
        return render(request, "datastore/preview.html", {"entry": entry, "upload": stored, "rows": [],
                                                          "error": exc.message, **_labels()}, status_code=exc.status)
    if not dry_run and result.status in ("loaded", "partial"):
        uploads.remove_upload(stored)
    query = f"?token={token}" if dry_run or result.status not in ("loaded", "partial") else ""
    return RedirectResponse(f"/resources/batches/{result.batch_id}{query}", status_code=303)


def _entry_refused(request: Request, db: Any, entry: CatalogEntry, which: str, error: FormError,
                   form: dict[str, Any]) -> Response:
    """The entry page again with the refused form (`which`: filing | connector) kept and its message beside
    the field."""
    return render(request, "datastore/entry.html", {**_entry_context(db, entry), "form": form, "error": error,
                                                    "failed_form": which}, status_code=error.status)


@router.post("/resources/{entry_id}/filing", response_class=HTMLResponse)
async def submit_filing(request: Request, entry_id: Id, db: Db,
                        actor: Actor = requires(Action.CATALOG_DRAFT)) -> Response:
    entry = service.get_entry(db, entry_id=entry_id)
    form = await form_dict(request)
    reason = form.get("reason", "")
    try:
        if len(reason) > 4000:
            raise RuleViolation("不能超过 4000 个字符", field="reason")
        filings.submit_filing(db, actor, entry=entry, reason=reason)
    except GovdataError as exc:
        if exc.status in (403, 404):
            raise
        db.rollback()
        note_refusal(request, exc)
        return _entry_refused(request, db, entry, "filing", from_error(exc, {"reason": "不能实时汇聚的原因"}), form)
    return RedirectResponse(f"/resources/{entry_id}?msg=备案已提交，等待大数据局审核", status_code=303)


def _connector_in(form: dict[str, Any]) -> returnflow.ConnectorIn | FormError:
    lines = [line for line in str(form.get("mapping", "")).splitlines() if line.strip()]
    if any("=" not in line for line in lines):
        return FormError("字段映射：每行应为“上游字段=信息项”", "mapping", 422,
                         {"mapping": "字段映射：每行应为“上游字段=信息项”"})
    pairs = [line.split("=", 1) for line in lines]
    data = {k: v for k, v in form.items() if k != "mapping"}
    data["field_mapping"] = {a.strip(): b.strip() for a, b in pairs}
    parsed = parse(returnflow.ConnectorIn, data, CONNECTOR_LABELS)
    if isinstance(parsed, FormError) and "url" in parsed.errors and str(form.get("url", "")).strip():
        parsed.errors["url"] = "上游地址应为以 http:// 或 https:// 开头的网址"
        parsed.message = "；".join(parsed.errors.values())
    return parsed


@router.post("/resources/{entry_id}/connector", response_class=HTMLResponse)
async def save_connector(request: Request, entry_id: Id, db: Db,
                         actor: Actor = requires(Action.RETURN_FLOW_MANAGE)) -> Response:
    entry = service.get_entry(db, entry_id=entry_id)
    form = await form_dict(request)
    data = _connector_in(form)
    if not isinstance(data, FormError):
        entered = data
        refused = attempt(request, db, lambda: returnflow.save_connector(db, actor, entry=entry, data=entered),
                          CONNECTOR_LABELS)
        if refused is None:
            return RedirectResponse(f"/resources/{entry_id}?msg=回流配置已保存", status_code=303)
        data = refused
    if "field_mapping" in data.errors:  # the form's box is called mapping
        data.errors["mapping"] = data.errors.pop("field_mapping")
        data.field = "mapping" if data.field == "field_mapping" else data.field
    return _entry_refused(request, db, entry, "connector", data, form)


@router.post("/resources/{entry_id}/connector/run")
def run_connector(request: Request, entry_id: Id, db: Db,
                  actor: Actor = requires(Action.RETURN_FLOW_RUN)) -> Response:
    entry = _own_entry(db, actor, entry_id, Action.RETURN_FLOW_RUN)
    db.commit()  # the pull runs in its own units of work
    result = returnflow.run_connector(request.app.state.database, actor, entry_id=entry.id)
    if result is None:
        return RedirectResponse(f"/resources/{entry_id}?msg=回流失败，详见回流状态", status_code=303)
    return RedirectResponse(f"/resources/batches/{result.batch_id}", status_code=303)
