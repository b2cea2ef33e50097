"""What the platform counts for Prometheus (`prometheus-client`): requests, sharing lookups, ingest, jobs, audit.

The metrics are module-level objects; the places that count call the small functions below (one line each where
they are called), so no feature imports prometheus-client. Labels are bounded: a request is labelled by its
route's template (`/api/v1/catalog/{entry_id}`, never the raw path), its method and its status class; a lookup
by its status code; a job by its registered name; an ingest batch by its status.

Several server processes (`govdata serve --workers N`): the supervisor (`govdata.serving`) sets
`PROMETHEUS_MULTIPROC_DIR` to a fresh folder under the home before it starts them, so prometheus-client keeps
each process's values in a file of its own there (chosen when prometheus-client is first imported, which is why
the variable must be set before the workers start), and `/metrics`, answered by whichever process the scrape
reaches, adds up every process's files (`exposition`). A process that exits is marked dead (`process_exited`);
its counts stay in the totals, so counters never go backwards. One process alone uses the default registry
(with the process's own CPU and memory figures).

Who may read `/metrics` is decided in `web/metrics.py`.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
FOLDER = "metrics"  # under the home; left out of backups (security/backup.py)
CONTENT_TYPE = CONTENT_TYPE_LATEST
ROUTE_KEY = "govdata.route"  # a route template set by an answer given before routing (the lookup gateway)
UNMATCHED = "<unmatched>"  # a request no route took (404, 405 on no route): one label for all of them
LOOKUP_ROUTE = "/api/v1/share/{code}/records"

# Seconds. The lookup's target is p99 ≤ 20 ms (issue 18), so its buckets are finer below 50 ms.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LOOKUP_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0)
LONG_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0)

HTTP_REQUESTS = Histogram(
    "govdata_http_request_duration_seconds",
    "HTTP requests answered, by route template, method and status class (_count counts them)",
    ["route", "method", "status"], buckets=REQUEST_BUCKETS)
LOOKUPS = Histogram(
    "govdata_share_lookup_duration_seconds",
    "Sharing lookups (GET /api/v1/share/{code}/records) answered, by HTTP status (_count counts them)",
    ["status"], buckets=LOOKUP_BUCKETS)
INGEST_BATCHES = Counter("govdata_ingest_batches", "Ingest batches finished, by batch status", ["status"])
INGEST_ROWS = Counter("govdata_ingest_rows", "Rows read by finished ingest batches, by batch status", ["status"])
INGEST_REJECTED = Counter("govdata_ingest_rejected_rows", "Rows refused by the checks in finished ingest batches")
INGEST_SECONDS = Histogram("govdata_ingest_duration_seconds", "Time an ingest batch took to check and write",
                           buckets=LONG_BUCKETS)
JOB_RUNS = Counter("govdata_job_runs", "Job run attempts, by job and outcome (ok, error, skipped)",
                   ["job", "outcome"])
JOB_SECONDS = Histogram("govdata_job_duration_seconds", "Time a job run took (runs that were not skipped)",
                        ["job", "outcome"], buckets=LONG_BUCKETS)
AUDIT_EVENTS = Counter("govdata_audit_events", "Audit events appended to the chain")


def timer() -> float:
    """A monotonic start time for the functions below (not the wall clock: `govdata.clock` is for dates)."""
    return time.perf_counter()


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def route_of(scope: MutableMapping[str, Any]) -> str:
    """The template of the route that answered (set in the scope by the router or by `lookup_answered`)."""
    named = scope.get(ROUTE_KEY)
    if named is not None:
        return str(named)
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


# Labelled children by their labels: `labels()` costs as much as `observe()` (a lock and a tuple per call), and
# both run on every request. The label sets are bounded, so these stay small.
_REQUEST_CHILDREN: dict[tuple[str, str, int], Any] = {}
_LOOKUP_CHILDREN: dict[int, Any] = {}


def request_answered(scope: MutableMapping[str, Any], status: int, started: float) -> None:
    key = (route_of(scope), scope.get("method", ""), status // 100)
    child = _REQUEST_CHILDREN.get(key)
    if child is None:
        child = _REQUEST_CHILDREN[key] = HTTP_REQUESTS.labels(key[0], key[1], status_class(status))
    child.observe(time.perf_counter() - started)


def lookup_answered(scope: MutableMapping[str, Any], status: int, started: float) -> None:
    """A sharing lookup answered by the gateway, before routing: counted, and named for the request metric."""
    scope[ROUTE_KEY] = LOOKUP_ROUTE
    child = _LOOKUP_CHILDREN.get(status)
    if child is None:
        child = _LOOKUP_CHILDREN[status] = LOOKUPS.labels(str(status))
    child.observe(time.perf_counter() - started)


def ingest_finished(status: str, *, rows: int, rejected: int, seconds: float) -> None:
    INGEST_BATCHES.labels(status).inc()
    INGEST_ROWS.labels(status).inc(rows)
    if rejected:
        INGEST_REJECTED.inc(rejected)
    INGEST_SECONDS.observe(seconds)


def job_finished(name: str, outcome: str, seconds: float | None = None) -> None:
    JOB_RUNS.labels(name, outcome).inc()
    if seconds is not None:
        JOB_SECONDS.labels(name, outcome).observe(seconds)


def audit_appended(count: int) -> None:
    if count:
        AUDIT_EVENTS.inc(count)


def exposition() -> bytes:
    """The text Prometheus scrapes: every server process's values when they share a folder, else this one's."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def fresh_multiprocess_dir(home: Path) -> Path:
    """Empty `<home>/metrics` (values of processes from an earlier start would be added in) and name it in the
    environment, which the server processes started after this inherit."""
    folder = home / FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def process_exited(pid: int | None) -> None:
    """A server process ended: its live gauges leave the totals (its counters stay, so they never go back)."""
    if pid is not None and os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
