"""One error handler: the JSON shape under /api/, a Chinese page elsewhere; refused attempts audited."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from govdata import hooks, policy
from govdata.audit.service import Refused, record_refusal, record_refused_rule
from govdata.errors import FieldProblem, GovdataError, NotAuthenticated, TooManyRequests
from govdata.web.forms import FormError, field_of, from_error, reason
from govdata.web.methods import allowed_methods
from govdata.web.templating import render

log = logging.getLogger("govdata")

STATUS_TEXT = {
    400: "请求有误",
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持的请求方式",
    409: "操作冲突",
    413: "提交的内容过大",
    422: "提交的内容有误",
    429: "请求过于频繁",
    500: "系统内部错误",
    503: "服务暂不可用",
}


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/healthz", "/openapi.json") or \
        "application/json" in request.headers.get("accept", "") and "text/html" not in request.headers.get(
            "accept", "")


def error_response(request: Request, status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> Response:
    shape = hooks.error_shape(request.url.path)
    if shape is not None:
        shaped_status, shaped = shape(status, code, message, field)
        return JSONResponse(shaped, status_code=shaped_status, headers=headers)
    if wants_json(request):
        body: dict[str, Any] = {"code": code, "message": message, "field": field}
        if extra:
            body.update(extra)
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    context = {"status": status, "title": STATUS_TEXT.get(status, "出错了"), "message": message, "field": field}
    response = render(request, "error.html", context, status_code=status)
    if headers:
        response.headers.update(headers)
    return response


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form", "cookie")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def note_refusal(request: Request, exc: GovdataError) -> None:
    """Refused attempts stay on the record, in their own transaction (the request's work is rolled back).
    Pages that catch an error to re-render their form call this too."""
    try:
        if isinstance(exc, policy.Denied):
            record_refusal(request.app.state.database, exc)
        elif isinstance(exc, Refused):
            record_refused_rule(request.app.state.database, exc)
    except Exception:  # the refusal still stands even if it cannot be recorded
        log.exception("could not record a refused attempt")


def attempt(request: Request, db: Any, change: Callable[[], Any],
            labels: Mapping[str, str] | None = None) -> FormError | None:
    """A page's one service call: None when it went through; a refusal the person can put right (not a 403 or a
    404, which stay the error pages they are) comes back as the form's error, with the transaction rolled back
    and the refusal kept on the record."""
    try:
        change()
        return None
    except GovdataError as exc:
        if exc.status in (403, 404):
            raise
        db.rollback()
        note_refusal(request, exc)
        return from_error(exc, labels)


def domain_error_response(request: Request, exc: GovdataError) -> Response:
    """The answer to a refused or failed request (also used by a domain's middleware that answers before
    routing): the refusal recorded, then the JSON shape, a Chinese page or a sign-in redirect."""
    note_refusal(request, exc)
    if isinstance(exc, NotAuthenticated) and not wants_json(request) and request.method == "GET":
        notice = getattr(request.state, "signin_notice", None)  # why a session stopped (web.deps)
        why = f"&msg={quote(notice)}" if notice else ""
        return RedirectResponse(f"/login?next={quote(str(request.url.path))}{why}", status_code=303)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    if isinstance(exc, NotAuthenticated) and wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"}
    extra = {"details": exc.context["details"]} if exc.context.get("details") is not None else None
    return error_response(request, exc.status, exc.code, exc.message, exc.field, headers, extra)


def install(app: FastAPI) -> None:
    @app.exception_handler(GovdataError)
    async def _domain_error(request: Request, exc: GovdataError) -> Response:
        return domain_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid"}
        field = _field_of(tuple(first.get("loc", ())))
        ctx: Any = first.get("ctx") or {}
        if isinstance(ctx, dict) and isinstance(ctx.get("error"), FieldProblem):
            field = field_of(first) or field  # a model validator's error about one field
        message = f"字段 {field}：{reason(first)}" if field else reason(first)
        details = [{"field": _field_of(tuple(e.get("loc", ()))), "message": reason(e)} for e in errors]
        return error_response(request, 422, "validation_error", message, field, extra={"details": details})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = STATUS_TEXT.get(exc.status_code, str(exc.detail))
        headers = getattr(exc, "headers", None)
        if exc.status_code == 404:
            message = "请求的地址不存在"
        elif exc.status_code == 405:
            headers = {"Allow": ", ".join(allowed_methods(request.app, request.scope["path"]))}
            if request.method == "OPTIONS":  # no route answers OPTIONS itself: it is this answer
                return Response(status_code=204, headers=headers)
            message = f"不支持的请求方式 {request.method}，此地址支持：{headers['Allow']}"
        return error_response(request, exc.status_code, code, message, None, headers)

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: OperationalError) -> Response:
        # The database went away (a restart, a failover, a network cut) or stayed busy past its timeout: its
        # transaction rolled back, and asking again shortly is the right answer (503, not a 500 of ours).
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
        return error_response(request, 503, "database_unavailable", "数据库暂时无法访问，请稍后再试",
                              None, {"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal_error", "系统内部错误，已记录，请稍后再试")
