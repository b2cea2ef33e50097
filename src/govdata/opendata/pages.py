"""HTML pages of open data: the public portal under /open (search, a dataset with its preview, downloads, the
API guide) for anyone, and the bureau's open catalog (publish, republish, withdraw) under /open/manage."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from govdata import policy
from govdata.actor import Actor
from govdata.catalog.labels import label_of
from govdata.catalog.models import CatalogEntry
from govdata.errors import GovdataError, RuleViolation
from govdata.opendata import data, service
from govdata.opendata.models import LICENCE_LABELS, RELEASE_LABELS, STATUS_LABELS, TOPIC_LABELS, OpenDataset
from govdata.opendata.schemas import (
    OpenDatasetPublish,
    OpenDatasetWithdraw,
    OpenSearchQuery,
    field_dictionary,
)
from govdata.policy import Action
from govdata.storage.engines import Database
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import AppSettings, Db, ReadDb, WriteDb, get_database, open_to, public, requires
from govdata.web.errors import note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
DatabaseDep = Annotated[Database, Depends(get_database)]
LABELS = {"q": "关键词", "unit": "提供单位", "topic": "主题", "format": "资源格式", "open_type": "开放类型",
          "region": "区域", "page": "页码", "per_page": "每页条数", "title": "数据集名称", "summary": "摘要",
          "licence": "开放许可", "terms": "使用条款", "note": "说明"}
COMMON = {"topics": TOPIC_LABELS, "licences": LICENCE_LABELS, "releases_labels": RELEASE_LABELS,
          "status_labels": STATUS_LABELS, "label_of": label_of, "facet_names": service.FACETS}


def _search_query(request: Request) -> OpenSearchQuery | forms.FormError:
    values = {k: v for k, v in request.query_params.items() if k in OpenSearchQuery.model_fields}
    return forms.parse(OpenSearchQuery, values, LABELS)


@router.get("/open")
def portal_home(request: Request, db: ReadDb, actor: Actor = open_to(Action.OPEN_VIEW)) -> Response:
    parsed = _search_query(request)
    error, status = None, 200
    if isinstance(parsed, forms.FormError):
        error, status, parsed = parsed.message, parsed.status, OpenSearchQuery()
    page = service.search_datasets(db, actor, query=parsed)
    params = {k: v for k, v in request.query_params.items() if k in OpenSearchQuery.model_fields and k != "page"}
    return render(request, "opendata/home.html", {
        **COMMON, "page": page, "query": parsed, "params": params, "error": error,
        "pages": (page.total + parsed.per_page - 1) // parsed.per_page}, status_code=status)


@router.get("/open/api")
def api_guide(request: Request, actor: Actor | None = public()) -> Response:
    return render(request, "opendata/api.html", {"base": str(request.base_url).rstrip("/")})


@router.get("/open/datasets/{dataset_id}")
def dataset_page(request: Request, dataset_id: Id, db: WriteDb,
                 actor: Actor = open_to(Action.OPEN_VIEW)) -> Response:
    dataset = service.view_dataset(db, actor, dataset_id=dataset_id, counted=True)
    masker = data.public_view(db, dataset.entry)
    readable = data.reader_view(db, actor, dataset).columns
    by_name = {f.name: f.label for f in dataset.entry.fields}
    return render(request, "opendata/dataset.html", {
        **COMMON, "dataset": dataset, "fields": field_dictionary(dataset, masker),
        "preview": data.preview(db, actor, dataset), "labels": [by_name[n] for n in readable],
        "may_apply": bool(policy.role_allows(actor, Action.OPEN_APPLY))})


@router.get("/open/datasets/{dataset_id}/data.{medium}")
def download(dataset_id: Id, medium: Literal["csv", "json", "xlsx"], db: WriteDb, settings: AppSettings,
             database: DatabaseDep, actor: Actor = open_to(Action.OPEN_DOWNLOAD)) -> Response:
    started = data.start_download(db, actor, settings, dataset_id=dataset_id, medium=medium)
    return data.download_response(database.reads(), started)  # the rows may come from the replica


@router.get("/open/manage")
def manage_page(request: Request, db: Db, actor: Actor = requires(Action.OPEN_PUBLISH)) -> Response:
    return render(request, "opendata/manage.html", {**COMMON, "rows": service.openable_entries(db, actor)})


def _entry(db: Db, entry_id: int) -> CatalogEntry:
    entry = db.get(CatalogEntry, entry_id)
    if entry is None:
        raise RuleViolation("信息资源不存在", field="entry_id")
    return entry


def _publish_form(request: Request, db: Db, entry: CatalogEntry, dataset: OpenDataset | None, *,
                  form: dict[str, Any] | None = None, error: forms.FormError | None = None) -> Response:
    return render(request, "opendata/publish.html", {
        **COMMON, "entry": entry, "dataset": dataset, "form": form or {}, "error": error,
        "missing": service.unmasked_sensitive(entry)}, status_code=error.status if error else 200)


@router.get("/open/manage/entries/{entry_id}/publish")
def publish_form(request: Request, entry_id: Id, db: Db, actor: Actor = requires(Action.OPEN_PUBLISH)) -> Response:
    entry = _entry(db, entry_id)
    return _publish_form(request, db, entry, service.find_dataset_of(db, entry_id=entry.id))


@router.post("/open/manage/entries/{entry_id}/publish")
async def publish(request: Request, entry_id: Id, db: Db, actor: Actor = requires(Action.OPEN_PUBLISH)) -> Response:
    form = await forms.form_dict(request)
    try:
        parsed = forms.parse(OpenDatasetPublish, form, LABELS)
        if isinstance(parsed, forms.FormError):
            raise RuleViolation(parsed.message, field=parsed.field, errors=parsed.errors)
        dataset = service.publish_dataset(db, actor, entry_id=entry_id, data=parsed)
    except GovdataError as exc:
        if exc.status == 403:
            raise
        db.rollback()
        note_refusal(request, exc)
        entry = _entry(db, entry_id)
        return _publish_form(request, db, entry, service.find_dataset_of(db, entry_id=entry.id), form=form,
                             error=_at_field(exc))
    return RedirectResponse(f"/open/manage/datasets/{dataset.id}?msg=数据集已发布到开放门户", status_code=303)


def _at_field(exc: GovdataError) -> forms.FormError:
    """A refusal as the form shows it: each message beside its field, with the field's Chinese name."""
    found = forms.as_form_error(exc)
    assert found is not None
    if not exc.context.get("errors"):
        found = forms.from_error(exc, LABELS)
    return found


def _manage_detail(request: Request, db: Db, actor: Actor, dataset: OpenDataset, *,
                   error: forms.FormError | None = None, form: dict[str, Any] | None = None) -> Response:
    masker = data.public_view(db, dataset.entry)
    return render(request, "opendata/manage_dataset.html", {
        **COMMON, "dataset": dataset, "fields": field_dictionary(dataset, masker), "error": error,
        "form": form or {}, "can_withdraw": bool(policy.role_allows(actor, Action.OPEN_WITHDRAW))},
        status_code=error.status if error else 200)


@router.get("/open/manage/datasets/{dataset_id}")
def manage_dataset(request: Request, dataset_id: Id, db: Db,
                   actor: Actor = requires(Action.OPEN_PUBLISH)) -> Response:
    return _manage_detail(request, db, actor, service.manage_dataset(db, actor, dataset_id=dataset_id))


@router.post("/open/manage/datasets/{dataset_id}/withdraw")
async def withdraw(request: Request, dataset_id: Id, db: Db,
                   actor: Actor = requires(Action.OPEN_WITHDRAW)) -> Response:
    form = await forms.form_dict(request)
    try:
        parsed = forms.parse(OpenDatasetWithdraw, form, LABELS)
        if isinstance(parsed, forms.FormError):
            raise RuleViolation(parsed.message, field=parsed.field, errors=parsed.errors)
        service.withdraw_dataset(db, actor, dataset_id=dataset_id, data=parsed)
    except GovdataError as exc:
        if exc.status == 403:
            raise
        db.rollback()
        note_refusal(request, exc)
        dataset = service.get_dataset(db, dataset_id=dataset_id)
        return _manage_detail(request, db, actor, dataset, error=_at_field(exc), form=form)
    return RedirectResponse(f"/open/manage/datasets/{dataset_id}?msg=数据集已撤回，门户即时不再显示", status_code=303)




# The public's sign-up and app-key pages live in their own module; they are served with these pages.
from govdata.opendata.account_pages import router as _account_router  # noqa: E402
from govdata.opendata.application_pages import router as _application_router  # noqa: E402
from govdata.opendata.demand_pages import router as _demand_router  # noqa: E402
from govdata.opendata.licence_pages import router as _licence_router  # noqa: E402

router.include_router(_account_router)
router.include_router(_application_router)
router.include_router(_demand_router)
router.include_router(_licence_router)
