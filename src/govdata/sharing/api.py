"""JSON routes of sharing: the lookup API (第十三条), requests and decisions, agreements, grants, credentials.

The lookup API is `GET /api/v1/share/{code}/records?{key_field}={value}`: several values of one key as a
repeated parameter (`?sfzh=a&sfzh=b`) or a comma list (`?sfzh=a,b`; values therefore cannot contain
commas), at most `GOVDATA_SHARE_MAX_KEYS` (100). `X-Operator` names the person the system acts for;
Chinese names are sent percent-encoded (UTF-8), since HTTP headers are ASCII.
There is deliberately no list, scan, export or paging route.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from govdata.actor import Actor
from govdata.auth import credentials
from govdata.policy import Action
from govdata.sharing import agreements, grants, service, usage
from govdata.sharing.lookup import gateway
from govdata.sharing.schemas import (
    AgreementRead,
    CredentialRead,
    GrantRead,
    IssuedCredentialRead,
    OpinionIn,
    ReasonIn,
    RecordsOut,
    ReviewIn,
    ShareRequestCreate,
    ShareRequestRead,
    VersionIn,
)
from govdata.web.deps import AppSettings, Db, requires, requires_in_route

router = APIRouter(prefix="/api/v1", tags=["sharing"])


@router.get("/share/{code:path}/records", response_model=RecordsOut,
            responses={400: {}, 401: {}, 403: {}, 404: {}, 429: {}, 503: {}})
async def share_records(code: str, request: Request,
                        _marker: None = requires_in_route(Action.SHARE_LOOKUP)) -> Response:
    """Look up records by one key field; only the granted fields are returned. Header `X-Operator` required.

    Served by `sharing.lookup.gateway.LookupGateway` before routing; this route (the same `answer`) documents it
    and answers what the gateway does not take (HEAD)."""
    return await gateway.answer(request, code)


@router.post("/share/requests", response_model=ShareRequestRead, status_code=201)
def submit(db: Db, settings: AppSettings, data: ShareRequestCreate,
           actor: Actor = requires(Action.SHARE_REQUEST)) -> ShareRequestRead:
    return ShareRequestRead.model_validate(service.submit_request(db, actor, settings, data=data))


@router.get("/share/requests", response_model=list[ShareRequestRead])
def list_requests(db: Db, status: str | None = None,
                  actor: Actor = requires(Action.REQUEST_VIEW)) -> list[ShareRequestRead]:
    return [ShareRequestRead.model_validate(r) for r in service.list_requests(db, actor, status=status)]


@router.get("/share/requests/{request_id}", response_model=ShareRequestRead)
def show_request(request_id: int, db: Db, actor: Actor = requires(Action.REQUEST_VIEW)) -> ShareRequestRead:
    return ShareRequestRead.model_validate(service.view_request(db, actor, request_id=request_id))


@router.post("/share/requests/{request_id}/opinion", response_model=ShareRequestRead)
def opinion(request_id: int, db: Db, data: OpinionIn,
            actor: Actor = requires(Action.SHARE_OPINION)) -> ShareRequestRead:
    return ShareRequestRead.model_validate(service.give_opinion(db, actor, request_id=request_id, data=data))


@router.post("/share/requests/{request_id}/review", response_model=ShareRequestRead)
def review(request_id: int, db: Db, settings: AppSettings, data: ReviewIn,
           actor: Actor = requires(Action.SHARE_REVIEW)) -> ShareRequestRead:
    req = service.review_request(db, actor, settings, request_id=request_id, data=data)
    return ShareRequestRead.model_validate(req)


@router.post("/share/requests/{request_id}/withdraw", response_model=ShareRequestRead)
def withdraw(request_id: int, db: Db, data: VersionIn,
             actor: Actor = requires(Action.SHARE_WITHDRAW)) -> ShareRequestRead:
    req = service.withdraw_request(db, actor, request_id=request_id, version=data.version)
    return ShareRequestRead.model_validate(req)


@router.get("/share/agreements/{agreement_id}", response_model=AgreementRead)
def show_agreement(agreement_id: int, db: Db, actor: Actor = requires(Action.AGREEMENT_VIEW)) -> AgreementRead:
    return AgreementRead.model_validate(agreements.view_agreement(db, actor, agreement_id=agreement_id))


@router.post("/share/agreements/{agreement_id}/accept", response_model=AgreementRead)
def accept(agreement_id: int, db: Db, actor: Actor = requires(Action.AGREEMENT_ACCEPT)) -> AgreementRead:
    return AgreementRead.model_validate(agreements.accept_agreement(db, actor, agreement_id=agreement_id))


@router.get("/share/grants", response_model=list[GrantRead])
def list_grants(db: Db, actor: Actor = requires(Action.GRANT_VIEW)) -> list[GrantRead]:
    return [GrantRead.model_validate(g) for g in grants.list_grants(db, actor)]


@router.post("/share/grants/{grant_id}/activate", response_model=GrantRead)
def activate(grant_id: int, db: Db, actor: Actor = requires(Action.GRANT_ACTIVATE)) -> GrantRead:
    return GrantRead.model_validate(grants.activate_grant(db, actor, grant_id=grant_id))


@router.post("/share/grants/{grant_id}/suspend", response_model=GrantRead)
def suspend(grant_id: int, db: Db, data: ReasonIn, actor: Actor = requires(Action.GRANT_SUSPEND)) -> GrantRead:
    return GrantRead.model_validate(grants.suspend_grant(db, actor, grant_id=grant_id, reason=data.reason))


@router.post("/share/grants/{grant_id}/revoke", response_model=GrantRead)
def revoke(grant_id: int, db: Db, data: ReasonIn, actor: Actor = requires(Action.GRANT_SUSPEND)) -> GrantRead:
    return GrantRead.model_validate(grants.revoke_grant(db, actor, grant_id=grant_id, reason=data.reason))


@router.get("/share/usage.csv")
def usage_export(db: Db, side: str = "provider", actor: Actor = requires(Action.USAGE_VIEW)) -> Response:
    body = usage.usage_csv(db, actor, side=side)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="share-usage-{side}.csv"'})


@router.get("/systems/{system_id}/credentials", response_model=list[CredentialRead])
def system_credentials(system_id: int, db: Db,
                       actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> list[CredentialRead]:
    return [CredentialRead.model_validate(c) for c in credentials.list_credentials(db, system_id=system_id)]


@router.post("/systems/{system_id}/credentials", response_model=IssuedCredentialRead, status_code=201)
def issue(system_id: int, db: Db, settings: AppSettings,
          actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> IssuedCredentialRead:
    issued = credentials.issue_credential(db, actor, settings, system_id=system_id)
    return IssuedCredentialRead(token=issued.token, credential=CredentialRead.model_validate(issued.credential))


@router.post("/systems/{system_id}/credentials/rotate", response_model=IssuedCredentialRead, status_code=201)
def rotate(system_id: int, db: Db, settings: AppSettings,
           actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> IssuedCredentialRead:
    issued = credentials.rotate_credential(db, actor, settings, system_id=system_id)
    return IssuedCredentialRead(token=issued.token, credential=CredentialRead.model_validate(issued.credential))


@router.post("/credentials/{credential_id}/revoke", response_model=CredentialRead)
def revoke_credential(credential_id: int, db: Db,
                      actor: Actor = requires(Action.CREDENTIAL_ISSUE)) -> CredentialRead:
    return CredentialRead.model_validate(credentials.revoke_credential(db, actor, credential_id=credential_id))
