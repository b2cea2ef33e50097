"""Which methods a path allows, for 405 answers and OPTIONS (RFC 9110: `Allow` lists them all).

Starlette answers a wrong method with the `Allow` of the first route whose path matched, so a path served
by a GET route and a POST route said `Allow: GET` to a DELETE, and OPTIONS was a 405. The error handler
asks here instead: every route whose path matches, across the app.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path


def allowed_methods(app: Any, path: str) -> list[str]:
    """The methods routes allow on this path (HEAD with GET, OPTIONS always), sorted; [] for no route."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(app.state, "route_methods", None)
    if table is None:
        table = app.state.route_methods = _table(app)
    found: set[str] = set()
    for pattern, methods in table:
        if pattern.match(path):
            found |= methods
    if not found:
        return []
    if "GET" in found:
        found.add("HEAD")
    return sorted(found | {"OPTIONS"})


def _table(app: Any) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    table = []
    for context in iter_route_contexts(app.routes):
        if context.path and context.methods:
            table.append((compile_path(context.path)[0], frozenset(context.methods)))
    return table
