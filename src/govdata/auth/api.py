"""OAuth2 password grant for people using the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from govdata.actor import Actor, Method
from govdata.auth import service, signin
from govdata.auth.schemas import TokenOut, UserCreate, UserRead
from govdata.errors import NotAuthenticated
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, client_addr, public, requires

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", response_model=TokenOut, dependencies=[public()],
             responses={429: {"description": "sign-ins from this address over GOVDATA_LOGIN_IP_PER_MINUTE, or codes "
                                             "of the account over GOVDATA_TOTP_ATTEMPTS_PER_MINUTE"},
                        403: {"description": "a role that requires a second factor has not enrolled one yet"}})
def token(request: Request, db: Db, settings: AppSettings,
          username: Annotated[str, Form(min_length=1, max_length=64)],
          password: Annotated[str, Form(min_length=1, max_length=128)],
          grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
          totp: Annotated[str | None, Form(max_length=32, description="动态口令（已启用双因素认证的账号必填）："
                                                                       "验证器当前的 6 位数字，或一个恢复码")] = None,
          ) -> TokenOut:
    result = service.authenticate(db, settings, username=username, password=password,
                                  client_addr=client_addr(request), method=Method.API)
    if result.user is None:
        db.commit()  # keep the failure count and its audit event
        raise NotAuthenticated(result.message, field="password")
    refusal = signin.token_refusal(db, settings, user=result.user, code=totp, client_addr=client_addr(request))
    if refusal is not None:
        db.commit()  # keep the failure count and its audit event
        raise refusal
    access = service.issue_user_token(db, settings, user=result.user)
    return TokenOut(access_token=access, expires_in=settings.api_token_hours * 3600)


@router.get("/auth/me", response_model=UserRead)
def me(db: Db, actor: Actor = requires(Action.USER_SELF)) -> UserRead:
    return UserRead.model_validate(service.view_self(db, actor))


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(db: Db, settings: AppSettings, data: UserCreate,
                actor: Actor = requires(Action.USER_MANAGE)) -> UserRead:
    return UserRead.model_validate(service.create_user(db, actor, settings, data=data))


@router.get("/users", response_model=list[UserRead])
def users(db: Db, actor: Actor = requires(Action.USER_MANAGE)) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in service.list_users(db, actor)]


@router.post("/users/{user_id}/deactivate", response_model=UserRead)
def deactivate_user(db: Db, user_id: Id, actor: Actor = requires(Action.USER_MANAGE)) -> UserRead:
    return UserRead.model_validate(service.set_active(db, actor, user_id=user_id, active=False))


@router.post("/users/{user_id}/reactivate", response_model=UserRead)
def reactivate_user(db: Db, user_id: Id, actor: Actor = requires(Action.USER_MANAGE)) -> UserRead:
    return UserRead.model_validate(service.set_active(db, actor, user_id=user_id, active=True))
