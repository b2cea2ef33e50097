"""JSON routes of vendor confidentiality agreements (第二十九条).

`POST /api/v1/vendor-agreements` takes a multipart form: the agreement's fields (`unit_ids` and `entry_codes`
repeated for each unit or resource named) and `file`, the signed PDF or scan.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from govdata import clock
from govdata.actor import Actor
from govdata.policy import Action
from govdata.types import Id
from govdata.vendors import service
from govdata.vendors.schemas import VendorAgreementCreate, VendorAgreementEnd, VendorAgreementRead
from govdata.web.deps import AppSettings, Db, WriteDb, requires

router = APIRouter(prefix="/api/v1/vendor-agreements", tags=["vendors"])


@router.get("", response_model=list[VendorAgreementRead])
def list_agreements(db: Db, actor: Actor = requires(Action.VENDOR_AGREEMENT_VIEW)) -> list[VendorAgreementRead]:
    today = clock.today()
    return [VendorAgreementRead.of(a, today) for a in service.list_agreements(db, actor)]


@router.post("", response_model=VendorAgreementRead, status_code=201)
def record_agreement(db: Db, settings: AppSettings, data: Annotated[VendorAgreementCreate, Form()],
                     file: Annotated[UploadFile, File()],
                     actor: Actor = requires(Action.VENDOR_AGREEMENT_MANAGE)) -> VendorAgreementRead:
    agreement = service.record_agreement(db, actor, settings, data=data, file_name=file.filename or "",
                                         stream=file.file)
    return VendorAgreementRead.of(agreement, clock.today())


@router.get("/{vendor_agreement_id}", response_model=VendorAgreementRead)
def get_agreement(vendor_agreement_id: Id, db: Db,
                  actor: Actor = requires(Action.VENDOR_AGREEMENT_VIEW)) -> VendorAgreementRead:
    agreement = service.view_agreement(db, actor, agreement_id=vendor_agreement_id)
    return VendorAgreementRead.of(agreement, clock.today())


@router.get("/{vendor_agreement_id}/file", responses={200: {"content": {
    "application/pdf": {}, "image/jpeg": {}, "image/png": {}}}})
def agreement_file(vendor_agreement_id: Id, db: WriteDb, settings: AppSettings,
                   actor: Actor = requires(Action.VENDOR_AGREEMENT_VIEW)) -> Response:
    agreement, data = service.agreement_file(db, actor, settings, agreement_id=vendor_agreement_id)
    return file_response(agreement.file_name, agreement.file_type, data)


@router.post("/{vendor_agreement_id}/end", response_model=VendorAgreementRead)
def end_agreement(vendor_agreement_id: Id, data: VendorAgreementEnd, db: Db,
                  actor: Actor = requires(Action.VENDOR_AGREEMENT_MANAGE)) -> VendorAgreementRead:
    agreement = service.end_agreement(db, actor, agreement_id=vendor_agreement_id, data=data)
    return VendorAgreementRead.of(agreement, clock.today())


def file_response(name: str, media_type: str, data: bytes) -> Response:
    """The file as an attachment under its uploaded name (RFC 5987 for Chinese names); never cached."""
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
