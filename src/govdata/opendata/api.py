"""JSON routes of open data under /api/v1/open: the portal's search, datasets, records and downloads for anyone
(`open_to`), publishing and withdrawing for the bureau."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from govdata.actor import Actor
from govdata.opendata import data, service
from govdata.opendata.schemas import (
    OpenDatasetPublish,
    OpenDatasetRead,
    OpenDatasetWithdraw,
    OpenSearchPage,
    OpenSearchQuery,
    RecordsPage,
    RecordsQuery,
)
from govdata.policy import Action
from govdata.storage.engines import Database
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, ReadDb, WriteDb, get_database, open_to, requires

portal_router = APIRouter(prefix="/api/v1/open", tags=["opendata"])
DatabaseDep = Annotated[Database, Depends(get_database)]
FILE = {"description": "文件（流式传输）"}


@portal_router.get("/datasets", response_model=OpenSearchPage)
def search_datasets(db: ReadDb, query: Annotated[OpenSearchQuery, Query()],
                    actor: Actor = open_to(Action.OPEN_VIEW)) -> OpenSearchPage:
    return service.search_datasets(db, actor, query=query)


@portal_router.get("/datasets/{dataset_id}", response_model=OpenDatasetRead)
def get_dataset(dataset_id: Id, db: WriteDb, actor: Actor = open_to(Action.OPEN_VIEW)) -> OpenDatasetRead:
    dataset = service.view_dataset(db, actor, dataset_id=dataset_id, counted=True)
    masker = data.public_view(db, dataset.entry)
    return OpenDatasetRead.full(dataset, masker, has_data=data.may_read_data(actor, dataset))


@portal_router.get("/datasets/{dataset_id}/records", response_model=RecordsPage)
def read_records(dataset_id: Id, db: WriteDb, settings: AppSettings, query: Annotated[RecordsQuery, Query()],
                 actor: Actor = open_to(Action.OPEN_DOWNLOAD)) -> RecordsPage:
    return data.read_records(db, actor, settings, dataset_id=dataset_id, query=query)


def _download(request: Request, db: WriteDb, settings: AppSettings, database: Database, dataset_id: int,
              medium: str, actor: Actor) -> StreamingResponse:
    download = data.start_download(db, actor, settings, dataset_id=dataset_id, medium=medium)
    return data.download_response(database.reads(), download)  # the rows may come from the replica


@portal_router.get("/datasets/{dataset_id}/data.csv", response_class=StreamingResponse, responses={200: FILE})
def download_csv(request: Request, dataset_id: Id, db: WriteDb, settings: AppSettings, database: DatabaseDep,
                 actor: Actor = open_to(Action.OPEN_DOWNLOAD)) -> StreamingResponse:
    return _download(request, db, settings, database, dataset_id, "csv", actor)


@portal_router.get("/datasets/{dataset_id}/data.json", response_class=StreamingResponse,
            responses={200: {"description": "文件（流式传输）", "content": {"application/json": {}}}})
def download_json(request: Request, dataset_id: Id, db: WriteDb, settings: AppSettings, database: DatabaseDep,
                  actor: Actor = open_to(Action.OPEN_DOWNLOAD)) -> StreamingResponse:
    return _download(request, db, settings, database, dataset_id, "json", actor)


@portal_router.get("/datasets/{dataset_id}/data.xlsx", response_class=StreamingResponse, responses={200: FILE})
def download_xlsx(request: Request, dataset_id: Id, db: WriteDb, settings: AppSettings, database: DatabaseDep,
                  actor: Actor = open_to(Action.OPEN_DOWNLOAD)) -> StreamingResponse:
    return _download(request, db, settings, database, dataset_id, "xlsx", actor)


@portal_router.post("/entries/{entry_id}/publish", response_model=OpenDatasetRead, status_code=201)
def publish_dataset(entry_id: Id, data_in: OpenDatasetPublish, db: Db,
                    actor: Actor = requires(Action.OPEN_PUBLISH)) -> OpenDatasetRead:
    dataset = service.publish_dataset(db, actor, entry_id=entry_id, data=data_in)
    masker = data.public_view(db, dataset.entry)
    return OpenDatasetRead.full(dataset, masker, has_data=data.may_read_data(actor, dataset))


@portal_router.post("/datasets/{dataset_id}/withdraw", response_model=OpenDatasetRead)
def withdraw_dataset(dataset_id: Id, data_in: OpenDatasetWithdraw, db: Db,
                     actor: Actor = requires(Action.OPEN_WITHDRAW)) -> OpenDatasetRead:
    dataset = service.withdraw_dataset(db, actor, dataset_id=dataset_id, data=data_in)
    masker = data.public_view(db, dataset.entry)
    return OpenDatasetRead.full(dataset, masker, has_data=False)


# The CKAN Action API and the DCAT feeds live in their own modules; they are served with these routes.
from govdata.opendata.application_api import router as _application_router  # noqa: E402
from govdata.opendata.ckan_api import router as _ckan_router  # noqa: E402
from govdata.opendata.dcat import router as _dcat_router  # noqa: E402
from govdata.opendata.licence_api import router as _licence_router  # noqa: E402

router = APIRouter()
router.include_router(portal_router)
router.include_router(_application_router)
router.include_router(_licence_router)
router.include_router(_ckan_router)
router.include_router(_dcat_router)
