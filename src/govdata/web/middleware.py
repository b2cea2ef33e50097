"""ASGI middleware: request ids, body size limits, control characters, security headers.

One pass in front of every route (the sharing gateway included): a request with a control character in a
header, the path, the query or a form or JSON body is refused here with 400 naming the field
(`web.inputs` says which characters, where), so no route, service or audit batch ever sees it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

import orjson
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govdata.errors import InvalidCharacter
from govdata.web import inputs
from govdata.web.security import security_headers

# Paths that take files or large pushes get the upload limit instead of the ordinary one.
LARGE_BODY_PREFIXES: list[str] = ["/api/v1/resources/", "/resources/", "/catalog/import", "/api/v1/catalog/import"]
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
JSON = "application/json"


class BodyTooLarge(Exception):
    pass


class BadCharacter(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class LimitsAndHeaders:
    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int,
                 trusted_proxies: Sequence[IPv4Network | IPv6Network] = ()) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.trusted_proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_large = any(path.startswith(p) for p in LARGE_BODY_PREFIXES)
        limit = self.max_upload if is_large else self.max_body
        state = scope.setdefault("state", {})
        state["request_id"] = os.urandom(8).hex()
        state["is_https"] = self._is_https(scope)
        state["client_addr"] = self._client_addr(scope)
        started = False
        overflowed = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if overflowed:  # the app's answer to a body cut off at the limit is replaced by the 413
                return
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = security_headers(scope, list(message.get("headers", [])), state)
            await send(message)

        declared = next((value for name, value in scope.get("headers") or () if name == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, send_with_headers, limit)
            return
        try:
            _check_head(scope)
            receive = await self._checked_body(scope, receive, limit, is_large)
        except BadCharacter as exc:
            await _bad_character(scope, receive, send_with_headers, exc.field)
            return
        except BodyTooLarge:
            await _too_large(scope, send_with_headers, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            if not overflowed:
                raise
        if overflowed and not started:
            # A streamed (chunked) body over the limit: whatever the app made of the cut-off read (FastAPI
            # answers 400 "error parsing the body", a route reading the stream raises), the answer is 413.
            overflowed = False
            await _too_large(scope, send_with_headers, limit)

    def _is_https(self, scope: Scope) -> bool:
        """Whether the client's request came over HTTPS: directly, or as a trusted proxy says."""
        if scope.get("scheme") == "https":
            return True
        client = scope.get("client")
        if client and self.trusted_proxies and _is_in(client[0], self.trusted_proxies):
            forwarded = next((v for n, v in scope.get("headers") or () if n == b"x-forwarded-proto"), b"")
            return forwarded.split(b",")[0].strip().lower() == b"https"
        return False

    def _client_addr(self, scope: Scope) -> str | None:
        """The client's address: the peer's, or behind a trusted proxy the last address `X-Forwarded-For` names
        that is not itself a trusted proxy (each proxy appends the address it saw; the right end is the one the
        trusted proxy vouches for, anything left of the first untrusted address is the client's own say).
        Rate limits, the audit trail and the `/metrics` allow-list all use this one address."""
        client = scope.get("client")
        peer = client[0] if client else None
        if peer is None or not self.trusted_proxies or not _is_in(peer, self.trusted_proxies):
            return peer
        listed = b",".join(v for n, v in scope.get("headers") or () if n == b"x-forwarded-for").decode("latin-1")
        hops = [hop.strip() for hop in listed.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not _is_in(hop, self.trusted_proxies):
                return hop if _is_address(hop) else peer
        return hops[0] if hops else peer

    async def _checked_body(self, scope: Scope, receive: Receive, limit: int, is_large: bool) -> Receive:
        """A form or JSON body read whole (it is small: uploads and pushes stream past), checked, and
        handed on to the app as if unread."""
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return receive
        content_type = _content_type(scope)
        if content_type not in (FORM, JSON, MULTIPART) or is_large and content_type != FORM:
            return receive  # files and pushes: their rows are checked one by one where they are read
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                raise BodyTooLarge()
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        if content_type == JSON:
            _check_json(body)
        elif content_type == MULTIPART or inputs.may_hold_control(body, is_json=False):
            await _check_form(scope, body)
        return replay


def _is_in(address: str, networks: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:  # a test client's "testclient", a unix socket
        return False
    return any(ip in network for network in networks)


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _content_type(scope: Scope) -> str:
    raw = next((v for n, v in scope.get("headers") or () if n == b"content-type"), b"")
    return raw.split(b";")[0].strip().lower().decode("latin-1")


def _check_head(scope: Scope) -> None:
    if inputs.ANY_CONTROL.search(scope["path"]):
        raise BadCharacter("path")
    field = inputs.bad_header(scope.get("headers") or []) or inputs.bad_query(scope.get("query_string", b""))
    if field is not None:
        raise BadCharacter(field)


def _check_json(body: bytes) -> None:
    if not inputs.may_hold_control(body, is_json=True):
        return
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return  # not JSON: the route's own parsing says so (422)
    field = inputs.bad_json(parsed)
    if field is not None:
        raise BadCharacter(field)


async def _check_form(scope: Scope, body: bytes) -> None:
    async def once() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form: FormData = await Request(scope, once).form()
    except Exception:  # a malformed form: the route's own parsing refuses it (400/422), with its message
        return
    try:
        field = inputs.bad_pairs(form.multi_items(), inputs.is_multiline)
    finally:
        await form.close()
    if field is not None:
        raise BadCharacter(field)


async def _bad_character(scope: Scope, receive: Receive, send: Send, field: str) -> None:
    from govdata.web.errors import error_response  # errors renders pages, which sit above this module

    response = error_response(Request(scope, receive), InvalidCharacter.status, InvalidCharacter.code,
                              inputs.MESSAGE.format(field=field), field)
    await response(scope, receive, send)


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    body: dict[str, Any] = {"error": {"code": "payload_too_large",
                                      "message": f"请求内容超过上限（{limit} 字节）", "field": None}}
    payload = orjson.dumps(body)
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
