"""A new secret (a system credential, an app key) shown once, on a GET page after the POST that issued it.

The POST answers 303 (so reloading never issues again) and hands the secret to the next page in a cookie scoped
to that page's path and to the browser session (never in a URL, never stored by the server). The page shows it
only if it matches the stored hash of a credential it is allowed to show, then clears the cookie: a reload shows
that it was already shown.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from govdata.auth.tokens import same, token_hash

COOKIE = "govdata_new_secret"


def redirect_showing(request: Request, path: str, secret: str) -> RedirectResponse:
    response = RedirectResponse(path, status_code=303)
    response.set_cookie(COOKIE, secret, path=path, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


def take(request: Request, hashes: Iterable[str]) -> str | None:
    """The secret handed over by the redirect, if it is one of these stored hashes."""
    secret = request.cookies.get(COOKIE, "")
    if not secret:
        return None
    digest = token_hash(secret)
    return secret if any(same(digest, h) for h in hashes) else None


def shown(response: Response, path: str) -> Response:
    """The page that took the secret: never cached, and the secret gone from the browser."""
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(COOKIE, path=path)
    return response
