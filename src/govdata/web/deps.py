"""Request dependencies: the unit of work, who is asking, and the permission marker on every route.

Every route declares exactly one of `requires(Action.X)` (role check before anything is loaded) or
`public()`; a test walks the app and fails on a route that declares neither.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from govdata import hooks, policy
from govdata.actor import Actor, Method, Role, public_actor
from govdata.auth import bearer, session_idle
from govdata.auth import service as auth_service
from govdata.auth.tokens import same
from govdata.config import Settings
from govdata.errors import Forbidden, InvalidCharacter, NotAuthenticated
from govdata.policy import Action
from govdata.storage.engines import Database
from govdata.storage.unit_of_work import UnitOfWork
from govdata.web.inputs import MESSAGE, bad_operator, operator_text

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SESSION_COOKIE = "govdata_session"


def get_database(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


async def get_settings_dep(request: Request) -> Settings:  # async: no thread-pool hop for an attribute read
    return request.app.state.settings  # type: ignore[no-any-return]


def db_session(request: Request) -> Iterator[Session]:
    """The request's unit of work (storage's one): reads use a deferred transaction; anything else a writing
    one (BEGIN IMMEDIATE on SQLite)."""
    with UnitOfWork(get_database(request), write=request.method not in SAFE_METHODS) as session:
        yield session


def write_session(request: Request) -> Iterator[Session]:
    """For GET routes that record what they read (record views, exports, the audit feed): a writing unit of
    work whatever the method."""
    with UnitOfWork(get_database(request), write=True) as session:
        yield session


def replica_session(request: Request) -> Iterator[Session]:
    """For read-only routes whose answer may be a moment old (lists, search, the public portal): a session on
    the read replica when one is configured and usable, else as `db_session` reads (storage.replica). It still
    ends with a commit, so that a route that wrongly wrote would fail on the replica rather than lose it."""
    session = get_database(request).replica_reader()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit happens before the response is sent, so a client never sees success for
# work that then failed to commit.
Db = Annotated[Session, Depends(db_session, scope="function")]
WriteDb = Annotated[Session, Depends(write_session, scope="function")]
ReadDb = Annotated[Session, Depends(replica_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def client_addr(request: Request) -> str | None:
    """The client's address as `web.middleware` resolved it (through trusted proxies), else the peer's."""
    resolved = request.scope.get("state", {}).get("client_addr")
    if resolved:
        return str(resolved)
    return request.client.host if request.client else None


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = request.state.request_id = uuid.uuid4().hex[:16]
    return rid


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if not token and scheme.startswith(bearer.APP_KEY_PREFIX):  # CKAN clients send an app key bare
        return scheme
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Authorization 头格式应为 Bearer <token>", field="Authorization")
    return token.strip()


def operator_header(request: Request) -> str | None:
    """X-Operator names the person a system acts for (decoded as `inputs.operator_text` says; raw control
    characters were refused before routing, percent-encoded ones are checked by whoever records it)."""
    raw = request.headers.get("x-operator")
    if raw is None:
        return None
    return operator_text(raw)[:128] or None


def checked_operator_header(request: Request) -> str | None:
    """X-Operator for a routed call: refused (400) with a control character once decoded (`%00`)."""
    raw = request.headers.get("x-operator")
    if raw is not None and bad_operator(raw):
        raise InvalidCharacter(MESSAGE.format(field="X-Operator"), field="X-Operator")
    return operator_header(request)


def resolve_actor(request: Request, conn: Connection | None = None) -> Actor | None:
    """The person or system behind this request, or None; cached on the request.

    `conn`: a connection the route already holds, for the bearer-token read (saves a checkout)."""
    if hasattr(request.state, "actor"):
        return request.state.actor  # type: ignore[no-any-return]
    actor: Actor | None = None
    database = get_database(request)
    token = bearer_token(request)
    if token is not None:
        # Bearer tokens are checked with one driver-level read on a plain connection (the API's hot path).
        with nullcontext(conn) if conn is not None else database.engine.connect() as used:
            actor = bearer.actor_for_token(used, token=token, client_addr=client_addr(request),
                                           request_id=request_id(request), operator=checked_operator_header(request))
        if actor is not None and actor.kind == "user":
            with database.read() as db:
                actor = _with_scope_and_purpose(request, db, actor)
        request.state.auth = "bearer"
        request.state.actor = actor
        return actor
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        request.state.actor = None
        return None
    with database.read() as db:
        loaded = auth_service.load_session(db, token=cookie)
        if loaded is not None and session_idle.is_idle(loaded[0], request.app.state.settings):
            request.state.signin_notice = session_idle.IDLE_MESSAGE  # shown by the sign-in page it leads to
        elif loaded is not None:
            web_session, user = loaded
            session_idle.touch(database, web_session)
            method = Method.API if request.url.path.startswith("/api/") else Method.WEB
            actor = auth_service.actor_for_user(user, method, client_addr(request), request_id(request))
            actor = _with_scope_and_purpose(request, db, actor)
            request.state.auth = "cookie"
            request.state.csrf_token = web_session.csrf_token
            request.state.user_display = user.display_name
    request.state.actor = actor
    return actor


def purpose_of(request: Request) -> str | None:
    """Why this request reads what it reads: the `X-Purpose` header (percent-encoded UTF-8, like X-Operator)
    or a `purpose` query value. A vendor must give one on every read (第二十九条)."""
    raw = request.headers.get("x-purpose")
    if raw is not None:
        if bad_operator(raw):
            raise InvalidCharacter(MESSAGE.format(field="X-Purpose"), field="X-Purpose")
        text = operator_text(raw)
    else:
        text = request.query_params.get("purpose") or ""
    return text.strip()[:200] or None


def _with_scope_and_purpose(request: Request, db: Session, actor: Actor) -> Actor:
    """The request's stated purpose, and for a vendor the scope of its valid confidentiality agreements."""
    purpose = purpose_of(request)
    if purpose:
        actor = replace(actor, purpose=purpose)
    if Role.VENDOR in actor.roles:
        actor = replace(actor, vendor_scope=hooks.vendor_scope(db, actor))
    if Role.PUBLIC in actor.roles and actor.id is not None:
        actor = replace(actor, open_access=hooks.open_access(db, actor))
    return actor


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token a write sent (header or form field); reading the form is the only async part."""
    if request.method in SAFE_METHODS or request.headers.get("authorization"):
        return None
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    return sent


def check_csrf(request: Request, sent: str | None) -> None:
    """Cookie-authenticated writes must echo the session's CSRF token (form field or header)."""
    if request.method in SAFE_METHODS or getattr(request.state, "auth", None) != "cookie":
        return
    expected = getattr(request.state, "csrf_token", "")
    if not sent or not same(sent, expected):
        raise Forbidden("表单已失效（CSRF 校验失败），请刷新页面后重试", field="csrf_token")


class _Marker:
    """A dependency that also says, as data, what the route requires (read by the route-matrix test).

    It is synchronous on purpose: resolving the actor queries the database, so FastAPI runs it in the
    thread pool instead of blocking the event loop.
    """

    def __init__(self, action: Action | None) -> None:
        self.action = action

    def __call__(self, request: Request, sent_csrf: Annotated[str | None, Depends(submitted_csrf)]) -> Actor | None:
        actor = resolve_actor(request)
        if self.action is None:
            if actor is not None:
                check_csrf(request, sent_csrf)
            return actor
        if actor is None:
            raise NotAuthenticated("请先登录", field=None)
        policy.require_role(actor, self.action)
        check_csrf(request, sent_csrf)
        return actor


class _InRouteMarker(_Marker):
    """`requires_in_route`: the route itself calls `authorize` (or the same checks) first thing.

    For the hottest API route (sharing lookups, answered by a domain's middleware before routing) the check
    and its errors are exactly those of `requires`. Only for bearer-authenticated GET routes (no CSRF).
    """

    async def __call__(self, request: Request,  # type: ignore[override]
                       sent_csrf: Annotated[str | None, Depends(submitted_csrf)]) -> None:
        return None


class _OpenMarker(_Marker):
    """`open_to(action)`: a route of the open-data portal (第十七条). Someone signed in acts as themselves;
    anyone else as the public (`actor.public_actor`) instead of being asked to sign in. Only for actions whose
    rule is open to the public, so no other route is loosened."""

    def __call__(self, request: Request, sent_csrf: Annotated[str | None, Depends(submitted_csrf)]) -> Actor:
        assert self.action is not None
        actor = resolve_actor(request)
        if actor is None:
            method = Method.API if request.url.path.startswith("/api/") else Method.WEB
            actor = replace(public_actor(client_addr=client_addr(request), request_id=request_id(request)),
                            method=method)
        else:
            check_csrf(request, sent_csrf)
        policy.require_role(actor, self.action)
        return actor


def authorize(request: Request, action: Action, conn: Connection | None = None) -> Actor:
    """The check `requires(action)` makes, for a route marked `requires_in_route(action)`."""
    actor = resolve_actor(request, conn)
    if actor is None:
        raise NotAuthenticated("请先登录", field=None)
    policy.require_role(actor, action)
    return actor


def requires(action: Action) -> Any:
    return Depends(_Marker(action))


def requires_in_route(action: Action) -> Any:
    return Depends(_InRouteMarker(action))


def open_to(action: Action) -> Any:
    """The marker of an open-data route: anyone may call it, the policy decides on what it reads."""
    if not policy.RULES[action].public:
        raise ValueError(f"{action} is not open to the public")
    return Depends(_OpenMarker(action))


def public() -> Any:
    return Depends(_Marker(None))


def route_marker(dependant_call: Any) -> _Marker | None:
    return dependant_call if isinstance(dependant_call, _Marker) else None


def route_markers(dependant: Any) -> list[_Marker]:
    """Every `requires`/`public` marker among a route's dependencies, however deep (for the OpenAPI
    document and the tests that walk routes)."""
    found = []
    for sub in dependant.dependencies:
        marker = route_marker(sub.call)
        if marker is not None:
            found.append(marker)
        found += route_markers(sub)
    return found


def current_actor(request: Request) -> Actor:
    actor = resolve_actor(request)
    if actor is None:
        raise NotAuthenticated("请先登录")
    return actor


def optional_actor(request: Request) -> Actor | None:
    return resolve_actor(request)


CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
