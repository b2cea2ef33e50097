"""The CKAN Action API routes: `/api/3/action/{action}` and `/api/action/{action}` (the path `ckanapi`
calls), GET with query parameters or POST with a JSON body, answered in CKAN's envelope
`{"help", "success", "result"}`; errors (`opendata.plugin`) as `{"success": false, "error": {"__type", ...}}`.

Anyone may call them (`open_to`): anonymously, limited per address, or with a public app key sent as
`Authorization: <key>` (CKAN's way) or `Bearer <key>`, limited per key and higher."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from govdata.actor import Actor
from govdata.errors import BadRequest
from govdata.opendata import ckan, ckan_datastore  # noqa: F401  (ckan_datastore registers datastore_search)
from govdata.policy import Action
from govdata.web.deps import AppSettings, WriteDb, open_to

router = APIRouter(tags=["ckan"])
PREFIXES = ("/api/3/action/", "/api/action/")
MAX_PARAMS = 50


async def action_params(request: Request) -> dict[str, Any]:
    """The call's parameters: the query string, then (POST) a JSON object or a form on top."""
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        kind = request.headers.get("content-type", "")
        if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        else:
            body = await request.body()
            if body.strip():
                try:
                    given = orjson.loads(body)
                except orjson.JSONDecodeError as exc:
                    raise BadRequest("请求体不是合法的 JSON", field="body") from exc
                if not isinstance(given, dict):
                    raise BadRequest("请求体应为 JSON 对象", field="body")
                params.update({str(k): v for k, v in given.items()})
    if len(params) > MAX_PARAMS:
        raise BadRequest(f"参数过多（至多 {MAX_PARAMS} 个）", field="params")
    return params


Params = Annotated[dict[str, Any], Depends(action_params)]
ActionName = Annotated[str, Path(max_length=64, description="CKAN action 名，如 package_search")]
# Every error under these paths takes CKAN's envelope (`opendata.plugin`), whatever answered it.
CKAN_ERROR = {"application/json": {"schema": {
    "type": "object", "required": ["success", "error"],
    "properties": {"help": {"type": "string"}, "success": {"type": "boolean", "enum": [False]},
                   "error": {"type": "object", "required": ["__type", "message"],
                             "properties": {"__type": {"type": "string"}, "message": {"type": "string"}}}}}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": '{"help", "success": true, "result"}'},
    400: {"description": "Bad Request", "content": CKAN_ERROR},
    401: {"description": "Authorization Error（以 403 答复）", "content": CKAN_ERROR},
    403: {"description": "Authorization Error", "content": CKAN_ERROR},
    404: {"description": "Not Found Error", "content": CKAN_ERROR},
    409: {"description": "Validation Error", "content": CKAN_ERROR},
    413: {"description": "请求体过大", "content": CKAN_ERROR},
    422: {"description": "Validation Error（以 409 答复）", "content": CKAN_ERROR},
    429: {"description": "调用过于频繁（Retry-After）", "content": CKAN_ERROR}}


def ckan_action(request: Request, action: ActionName, db: WriteDb, settings: AppSettings, params: Params,
                actor: Actor = open_to(Action.OPEN_VIEW)) -> JSONResponse:
    base = str(request.base_url).rstrip("/")
    result = ckan.call(db, actor, settings, name=action, params=params, base=base)
    return JSONResponse({"help": f"{base}/api/3/action/help_show?name={action}", "success": True,
                         "result": result})


for _path, _name, _summary in (("/api/3/action/{action}", "ckan_action", "CKAN Action API（子集）"),
                                ("/api/action/{action}", "ckan_action_unversioned",
                                 "CKAN Action API（子集，ckanapi 使用的地址）")):
    for _method in ("GET", "POST"):
        router.add_api_route(_path, ckan_action, methods=[_method], response_class=JSONResponse,
                             responses=RESPONSES, operation_id=f"{_name}_{_method.lower()}", summary=_summary)
