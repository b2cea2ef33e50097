"""The headers every answer carries: content security policy, no caching of what people read, cookies
marked Secure over HTTPS.

- **Content-Security-Policy**: scripts and styles only from the platform's own `/static/` files, no
  inline script or style, no `javascript:` links, no framing. The pages need no script to work (plain
  forms); the few conveniences (back, print) live in `static/app.js`. `/docs` and `/redoc` (FastAPI's
  API browsers, which load inline script and their bundle from a CDN) get only `frame-ancestors`.
- **Cache-Control: no-store** on every answer but the static files: pages of signed-in people and API
  answers carry personal data, and the simplest rule that cannot miss one is all of them.
- **Secure cookies** whenever the request came over HTTPS, directly or through a trusted proxy
  (`GOVDATA_TRUSTED_PROXIES`: the proxies' addresses, whose `X-Forwarded-Proto` is believed).
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

CSP = (b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       b"base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
CSP_API_BROWSER = b"frame-ancestors 'none'"
API_BROWSERS = ("/docs", "/redoc")
STATIC = "/static/"


def security_headers(scope: Scope, headers: list[tuple[bytes, bytes]], state: dict[str, Any]
                     ) -> list[tuple[bytes, bytes]]:
    """The response's headers with the platform's own added (and its cookies marked Secure over HTTPS)."""
    path: str = scope["path"]
    if state.get("is_https"):
        headers = [(name, _secure(value)) if name == b"set-cookie" else (name, value) for name, value in headers]
    extra = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"content-security-policy", CSP_API_BROWSER if path.startswith(API_BROWSERS) else CSP),
        (b"x-request-id", state["request_id"].encode()),
    ]
    if not path.startswith(STATIC) and not any(name == b"cache-control" for name, _ in headers):
        extra.append((b"cache-control", b"no-store"))
    return headers + extra


def _secure(cookie: bytes) -> bytes:
    attributes = [part.strip().lower() for part in cookie.split(b";")[1:]]
    return cookie if b"secure" in attributes else cookie + b"; Secure"
