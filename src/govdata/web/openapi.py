"""The OpenAPI document, telling every status a route can answer and what downloads really are.

FastAPI documents 200 and its own 422 shape; the platform answers errors in one JSON shape
(`{"error": {"code", "message", "field"}}`, web.errors) with statuses that follow from what the route
depends on, so they are derived here rather than written on each route:

| status | when |
|---|---|
| 400 | always: a control character in a header, path or query (web.middleware), a malformed request |
| 401 | the route asks who is calling (`requires`, `public`: a bad bearer token is refused on either) |
| 403 | the route requires an action (`requires`, `requires_in_route`) |
| 404 | the path names something (a path parameter), or the request writes (it names what it changes) |
| 409 | the request writes (a state or a version that changed in between) |
| 413 | the request has a body (the size limits) |
| 422 | always: a parameter or body out of shape, or a rule the service checks |
| 429, 503 | the actions `RATE_LIMITED` and `FAIL_CLOSED` name; a route may declare more (`responses=`) |

Downloads are known by their path's ending (`.csv`, `.xlsx`, `/pdf`): their 200 is that media type, not JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from govdata.policy import Action
from govdata.web.deps import route_markers
from govdata.web.errors import STATUS_TEXT

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "field"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                       "details": {}},
    }},
}
RATE_LIMITED = {Action.SHARE_LOOKUP, Action.OPEN_DOWNLOAD}  # open data: anonymous downloads
# Answered only once the audit event is committed; 503 when it cannot be (第二十一、二十四条).
FAIL_CLOSED = {Action.SHARE_LOOKUP, Action.RESOURCE_PUSH}
MEDIA_BY_ENDING = {".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   "/pdf": "application/pdf"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        path = context.path_format or ""
        operations = schema["paths"].get(path, {})
        for method in context.methods or ():
            operation = operations.get(method.lower())
            if operation is not None:
                _document_operation(operation, context.dependant, method, path)
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    return schema


def statuses(dependant: Any, method: str) -> set[int]:
    """What a route can answer besides success, from its dependencies (the table above)."""
    found = {400, 422}
    markers = route_markers(dependant)
    if markers:
        found.add(401)
    actions = {m.action for m in markers if m.action is not None}
    if actions:
        found.add(403)
    if dependant.path_params or method in WRITES:
        found.add(404)
    if method in WRITES:
        found |= {409, 413}
    if actions & RATE_LIMITED:
        found.add(429)
    if actions & FAIL_CLOSED:
        found.add(503)
    return found


def _document_operation(operation: dict[str, Any], dependant: Any, method: str, path: str) -> None:
    responses = operation.setdefault("responses", {})
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    for status in sorted(statuses(dependant, method) | declared):
        entry = responses.setdefault(str(status), {"description": STATUS_TEXT.get(status, "")})
        own = entry.get("content", {}).get("application/json", {}).get("schema", {})
        if not own or own.get("$ref", "").endswith("HTTPValidationError"):
            entry["content"] = error  # the platform's shape, also for FastAPI's own 422 (unless the route has its own)
        if status == 401:
            entry.setdefault("headers", {"WWW-Authenticate": {"schema": {"type": "string"}}})
        elif status == 429:
            entry.setdefault("headers", {"Retry-After": {"schema": {"type": "integer"}}})
    media = next((m for ending, m in MEDIA_BY_ENDING.items() if path.endswith(ending)), None)
    if media is not None:
        success = next((code for code in responses if code.startswith("2")), "200")
        responses[success] = {"description": responses.get(success, {}).get("description", "文件"),
                              "content": {media: {"schema": {"type": "string", "format": "binary"}}}}
