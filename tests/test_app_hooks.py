"""The app factory installs what the domains hand it through `hooks` (their middleware, their shutdown steps),
so that neither `app.py` nor `web/` names a domain: sharing's lookup gateway comes through sharing's plugin."""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi.testclient import TestClient

from govdata import hooks
from govdata.app import create_app
from govdata.domains import DOMAINS
from govdata.sharing.lookup.gateway import LookupGateway, close_committer
from govdata.web.middleware import LimitsAndHeaders

SRC = Path(__file__).parents[1] / "src" / "govdata"


def _imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_app_factory_names_no_feature_domain():
    """app.py imports no domain but the runners it starts (jobs and background work are foundation plumbing, not
    features)."""
    names = _imported(SRC / "app.py")
    domains = {f"govdata.{d}" for d in DOMAINS if d not in ("jobs", "work")}
    assert not {n for n in names if any(n == d or n.startswith(d + ".") for d in domains)}


def test_web_names_no_sharing():
    for path in (SRC / "web").glob("*.py"):
        assert not {n for n in _imported(path) if n.startswith("govdata.sharing")}, path.name


def test_sharing_hands_the_app_its_gateway_and_shutdown():
    assert LookupGateway in hooks.middleware()
    hooks.load_plugins()
    assert close_committer in hooks.SHUTDOWN_STEPS


def _stack(app) -> list[type]:
    return [m.cls for m in app.user_middleware]


def test_domain_middleware_sits_inside_the_limits_and_runs_its_shutdown(settings, database, monkeypatch):
    seen: list[str] = []

    class Tagging:
        def __init__(self, app) -> None:
            self.app = app

        async def __call__(self, scope, receive, send) -> None:
            if scope["type"] == "http":
                seen.append(scope["path"])
            await self.app(scope, receive, send)

    async def closing(state) -> None:
        seen.append(f"shutdown {type(state.database).__name__}")

    async def failing(state) -> None:  # runs first (reverse order); the others still run
        raise RuntimeError("cannot close")

    monkeypatch.setattr(hooks, "MIDDLEWARE", [*hooks.middleware(), Tagging])
    monkeypatch.setattr(hooks, "SHUTDOWN_STEPS", [*hooks.SHUTDOWN_STEPS, closing, failing])
    app = create_app(settings, database, migrate=False, run_jobs=False)
    stack = _stack(app)
    assert stack[0] is LimitsAndHeaders  # outermost: the domains' middleware get the same limits and headers
    assert stack.index(LookupGateway) < stack.index(Tagging)  # in domain order, the first outermost
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
    assert seen == ["/healthz", "shutdown Database"]
