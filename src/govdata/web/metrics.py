"""`GET /metrics` for Prometheus, and the timing of every request, in one ASGI middleware.

`/metrics` is answered here, before routing (it is not an API of the platform: no session, no role, not in the
OpenAPI document). It is not public. It is given to:

1. a request straight from the machine itself (a loopback peer) that no proxy forwarded — one carrying
   `X-Forwarded-For` is judged by the address that header resolves to, never by the proxy's loopback address,
   so a proxy on the same machine does not open it to the world;
2. a client whose address (as `web.middleware` resolves it: the peer, or behind a proxy listed in
   `GOVDATA_TRUSTED_PROXIES` the forwarded client — the same address the rate limits and the audit trail use)
   is in `GOVDATA_METRICS_ALLOW` (networks, comma separated);
3. a request with `Authorization: Bearer <GOVDATA_METRICS_TOKEN>`, when that setting is given.

Anyone else gets 403 with the platform's JSON error body. Scrapes are not audited: they read no one's data.

The middleware sits just inside `web.middleware.LimitsAndHeaders` (which resolves the client address and adds
the security headers to these answers too), so the few answers that one gives by itself — 413 for a body over
the limit, 400 for a control character — are not timed; everything past it is, the sharing gateway's lookups
included (named by the gateway, which answers before routing).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govdata import metrics

PATH = "/metrics"
REFUSED = "无权读取运行指标：仅限本机、GOVDATA_METRICS_ALLOW 所列网络或持 GOVDATA_METRICS_TOKEN 的请求"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, allowed: Sequence[IPv4Network | IPv6Network] = (),
                 token: str | None = None) -> None:
        self.app = app
        self.allowed = tuple(allowed)
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == PATH:
            await self._scrape(scope, send)
            return
        started = metrics.timer()
        status = 500  # an exception that escapes every handler: the server answers 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            metrics.request_answered(scope, status, started)

    async def _scrape(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _answer(send, 405, _error("method_not_allowed", "只支持 GET", None), b"application/json",
                          [(b"allow", b"GET, HEAD")])
        elif not self.may_read(scope):
            await _answer(send, 403, _error("forbidden", REFUSED, "client"), b"application/json")
        else:
            await _answer(send, 200, metrics.exposition(), metrics.CONTENT_TYPE.encode())

    def may_read(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers") or ())
        if self.token is not None:
            scheme, _, sent = headers.get(b"authorization", b"").partition(b" ")
            if scheme.lower() == b"bearer" and hmac.compare_digest(sent.strip(), self.token):
                return True
        address = (scope.get("state") or {}).get("client_addr")
        if not address:
            client = scope.get("client")
            address = client[0] if client else None
        try:
            ip = ip_address(address or "")
        except ValueError:
            return False
        if ip.is_loopback and b"x-forwarded-for" not in headers:
            return True
        return any(ip in network for network in self.allowed)


def _error(code: str, message: str, field: str | None) -> bytes:
    return orjson.dumps({"error": {"code": code, "message": message, "field": field}})


async def _answer(send: Send, status: int, body: bytes, content_type: bytes,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store"), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
