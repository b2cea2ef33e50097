"""The ASGI app factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from govdata import __version__, clock, hooks
from govdata.config import Settings, get_settings
from govdata.domains import domain_modules
from govdata.masking.exits import use_key
from govdata.storage import asyncread
from govdata.storage.engines import Database, database_for
from govdata.storage.migrate import upgrade
from govdata.web import errors, openapi
from govdata.web.metrics import MetricsMiddleware
from govdata.web.middleware import LimitsAndHeaders
from govdata.work.runner import WorkRunner

STATIC_DIR = Path(__file__).parent / "web" / "static"


def _include_domain_routes(app: FastAPI) -> None:
    for part in ("api", "pages"):
        for module in domain_modules(part):
            app.include_router(module.router)


def create_app(settings: Settings | None = None, database: Database | None = None, *,
               migrate: bool = True, run_jobs: bool | None = None) -> FastAPI:
    settings = settings or get_settings()
    clock.configure(settings.clock)
    use_key(settings.key)  # pseudonyms at every exit are keyed with the installation's secret
    _ = settings.key  # generated into the home on first start when none is given
    database = database or database_for(settings)
    if migrate:
        upgrade(database)
    jobs_on = settings.run_jobs_in_server if run_jobs is None else run_jobs
    work = WorkRunner(database, threads=settings.work_threads)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What startup built (modules, tables, routes) lives as long as the process: keep it out of the
        # cyclic collector's full passes, whose pauses otherwise land on a few requests (the latency tail).
        gc.freeze()
        work.sweep()  # work a former process left queued or running is failed, saying so
        timer = None
        if jobs_on:
            from govdata.jobs.runner import start_timer

            timer = start_timer(database, settings)
        yield
        if timer is not None:
            timer.stop()
        work.shutdown()
        await hooks.shutdown(app.state)  # what the domains keep on the state (sharing's group committer)
        await asyncread.close_pools(app.state)

    # FastAPI's built-in OpenTelemetry stays off: nothing collects it on the government network, and its
    # per-request provider checks cost about 4% of a sharing lookup (measured).
    app = FastAPI(title="govdata 政务数据汇聚共享平台", version=__version__, lifespan=lifespan,
                  docs_url="/docs", openapi_url="/openapi.json",
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.settings = settings
    app.state.database = database
    app.state.work = work
    errors.install(app)
    for middleware in reversed(hooks.middleware()):  # the first domain's is the outermost of them
        app.add_middleware(middleware)
    # Times every request (the gateway's lookups too) and answers /metrics, with the client address resolved.
    app.add_middleware(MetricsMiddleware, allowed=settings.metrics_allowed_networks, token=settings.metrics_token)
    # Outermost: the domains' middleware (the sharing lookup's gateway) gets the same limits and headers.
    app.add_middleware(LimitsAndHeaders, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes,
                       trusted_proxies=settings.trusted_proxy_networks)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    from govdata.web import shell

    app.include_router(shell.router)
    _include_domain_routes(app)
    openapi.install(app)
    return app
