"""ASGI middleware: request ids, body size limits, security headers."""

from __future__ import annotations

import os
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Paths that take files or large pushes get the upload limit instead of the ordinary one.
LARGE_BODY_PREFIXES: list[str] = ["/api/v1/resources/", "/resources/", "/catalog/import", "/api/v1/catalog/import"]


class BodyTooLarge(Exception):
    pass


class LimitsAndHeaders:
    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.max_upload if any(path.startswith(p) for p in LARGE_BODY_PREFIXES) else self.max_body
        declared = next((value for name, value in scope.get("headers") or () if name == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, send, limit)
            return
        state = scope.setdefault("state", {})
        state["request_id"] = os.urandom(8).hex()
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-request-id", state["request_id"].encode()),
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            await _too_large(scope, send, limit)


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    body: dict[str, Any] = {"error": {"code": "payload_too_large",
                                      "message": f"请求内容超过上限（{limit} 字节）", "field": None}}
    payload = orjson.dumps(body)
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
