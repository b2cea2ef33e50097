"""`/metrics`: what it counts (requests by route template, lookups, ingest, jobs, audit), who may read it, and
the one client address (resolved through trusted proxies) that it, the rate limits and the audit trail share.

In one process the metrics live in prometheus-client's default registry for the whole test run, so each test
reads the figures before and after what it does and checks the difference. The several-process case (two
server processes adding up) is in `test_serving.py`."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from govdata import metrics
from govdata.app import create_app
from govdata.audit.models import AuditEvent
from govdata.jobs.registry import Job
from govdata.jobs.runner import run_one
from tests.conftest import last_audit
from tests.datastore.factories import make_entry, system_token

LOCAL = ("127.0.0.1", 40000)
ROWS = [{"sfzh": f"35080219900101{i:04d}", "xm": f"人{i}", "csrq": "1990-01-01", "nl": i} for i in range(5)]


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def local(app: Any) -> Any:
    with TestClient(app, base_url="http://testserver", follow_redirects=False, client=LOCAL) as c:
        yield c


def test_requests_are_counted_by_route_template_method_and_status_class(local, database):
    before = samples(local)
    entry_ids = [make_entry(database).id, make_entry(database, fields=None).id]
    for entry_id in entry_ids:
        assert local.get(f"/api/v1/catalog/{entry_id}").status_code == 401  # no credential
    assert local.get("/healthz").status_code == 200
    assert local.get("/no/such/page/123").status_code == 404
    after = samples(local)
    count = "govdata_http_request_duration_seconds_count"
    assert value(after, count, route="/api/v1/catalog/{entry_id}", method="GET", status="4xx") \
        - value(before, count, route="/api/v1/catalog/{entry_id}", method="GET", status="4xx") == 2
    assert value(after, count, route="/healthz", method="GET", status="2xx") \
        - value(before, count, route="/healthz", method="GET", status="2xx") == 1
    assert value(after, count, route="<unmatched>", method="GET", status="4xx") \
        - value(before, count, route="<unmatched>", method="GET", status="4xx") == 1
    assert not [key for key in after if any(v.startswith("/api/v1/catalog/") and v[16:17].isdigit()
                                            for _n, v in key[1])]  # no raw path became a label
    assert value(after, "govdata_http_request_duration_seconds_sum", route="/healthz", method="GET",
                 status="2xx") > value(before, "govdata_http_request_duration_seconds_sum", route="/healthz",
                                       method="GET", status="2xx")


def _audit_rows(database) -> int:
    with database.read() as db:
        return int(db.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def test_lookups_ingest_jobs_and_audit_events_are_counted(local, database, settings):
    before, rows_before = samples(local), _audit_rows(database)
    for _ in range(3):
        refused = local.get("/api/v1/share/NO-SUCH/records", params={"sfzh": "1"},
                            headers={"Authorization": "Bearer gds_not-a-credential", "X-Operator": "zhangsan"})
        assert refused.status_code == 401
    entry = make_entry(database)
    pushed = local.post(f"/api/v1/resources/{entry.code}/records", content=orjson.dumps(ROWS),
                        headers={**system_token(database), "Content-Type": "application/json"})
    assert pushed.status_code == 200 and pushed.json()["inserted"] == 5, pushed.text
    bad = [ROWS[0], {**ROWS[1], "nl": "十"}]
    rejected = local.post(f"/api/v1/resources/{entry.code}/records", content=orjson.dumps(bad),
                          headers={**system_token(database), "Content-Type": "application/json"})
    assert rejected.status_code == 422
    job = Job("test.metrics", timedelta(hours=1), lambda _context: "done", "metrics")
    assert run_one(database, settings, job).status == "ok"
    assert run_one(database, settings, job).status == "skipped"  # not due again for an hour
    after, rows_after = samples(local), _audit_rows(database)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("govdata_share_lookup_duration_seconds_count", status="401") == 3
    assert delta("govdata_http_request_duration_seconds_count", route="/api/v1/share/{code}/records",
                 method="GET", status="4xx") == 3
    assert delta("govdata_ingest_batches_total", status="loaded") == 1
    assert delta("govdata_ingest_batches_total", status="rejected") == 1
    assert delta("govdata_ingest_rows_total", status="loaded") == 5
    assert delta("govdata_ingest_rejected_rows_total") == 1
    assert delta("govdata_ingest_duration_seconds_count") == 2
    assert delta("govdata_job_runs_total", job="test.metrics", outcome="ok") == 1
    assert delta("govdata_job_runs_total", job="test.metrics", outcome="skipped") == 1
    assert delta("govdata_job_duration_seconds_count", job="test.metrics", outcome="ok") == 1
    # The events the trail holds now that it did not before, each counted once.
    assert rows_after - rows_before >= 2  # the two pushes at least
    assert delta("govdata_audit_events_total") == rows_after - rows_before


# (peer, headers, settings, status): loopback is let in unless a proxy forwarded the request; others need the
# allow-list (judged by the address a trusted proxy forwards) or the token.
ACCESS = [
    ("127.0.0.1", {}, {}, 200),
    ("::1", {}, {}, 200),
    ("10.0.0.5", {}, {}, 403),
    ("10.0.0.5", {}, {"metrics_allow": "10.0.0.0/24"}, 200),
    ("10.0.1.5", {}, {"metrics_allow": "10.0.0.0/24"}, 403),
    ("10.0.0.5", {"Authorization": "Bearer s3cret-token"}, {"metrics_token": "s3cret-token"}, 200),
    ("10.0.0.5", {"Authorization": "Bearer wrong"}, {"metrics_token": "s3cret-token"}, 403),
    ("10.0.0.5", {"Authorization": "Bearer s3cret-token"}, {}, 403),  # no token configured: none works
    ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, {}, 403),  # a proxy on this machine forwarded it
    ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, {"trusted_proxies": "127.0.0.1"}, 403),
    ("127.0.0.1", {"X-Forwarded-For": "10.0.0.7"}, {"trusted_proxies": "127.0.0.1",
                                                    "metrics_allow": "10.0.0.0/24"}, 200),
    ("127.0.0.1", {"X-Forwarded-For": "10.0.0.7"}, {"metrics_allow": "10.0.0.0/24"}, 403),  # proxy not trusted
    ("127.0.0.1", {"X-Forwarded-For": "10.0.0.7, 203.0.113.9"}, {"trusted_proxies": "127.0.0.1",
                                                                  "metrics_allow": "10.0.0.0/24"}, 403),
    ("192.0.2.1", {"X-Forwarded-For": "127.0.0.1"}, {}, 403),  # a client claiming to be local
]


@pytest.mark.parametrize("peer, headers, changes, status", ACCESS)
def test_metrics_are_given_only_to_the_machine_the_allowed_networks_or_the_token(settings, database, peer,
                                                                                  headers, changes, status):
    app = create_app(settings.model_copy(update=changes), database, migrate=False, run_jobs=False)
    with TestClient(app, base_url="http://testserver", client=(peer, 40000), headers=headers) as c:
        response = c.get("/metrics")
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json() == {"error": {"code": "forbidden", "field": "client", "message": (
            "无权读取运行指标：仅限本机、GOVDATA_METRICS_ALLOW 所列网络或持 GOVDATA_METRICS_TOKEN 的请求")}}
    else:
        assert "govdata_http_request_duration_seconds" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_metrics_takes_only_get(local):
    response = local.post("/metrics")
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    assert response.json()["error"]["code"] == "method_not_allowed"


# (trusted proxies, X-Forwarded-For as the app receives it, the address recorded, whether another client behind
# the same proxy has a sign-in count of its own)
@pytest.mark.parametrize("proxies, forwarded, recorded, separate", [
    ("", "203.0.113.9", "127.0.0.1", False),  # no proxy trusted: the header is anyone's say; the peer counts
    ("127.0.0.1", "203.0.113.9", "203.0.113.9", True),
    ("127.0.0.1", "198.51.100.1, 203.0.113.9", "203.0.113.9", True),  # the left part is the client's own claim
    ("127.0.0.1,10.0.0.0/8", "203.0.113.9, 10.1.2.3", "203.0.113.9", True),  # two proxies deep
    ("127.0.0.1", "not-an-address", "127.0.0.1", True),  # nonsense: the proxy's own address
])
def test_the_audit_trail_and_rate_limits_see_the_client_a_trusted_proxy_forwards(settings, database, proxies,
                                                                                  forwarded, recorded, separate):
    app = create_app(settings.model_copy(update={"trusted_proxies": proxies, "login_ip_per_minute": 2}),
                     database, migrate=False, run_jobs=False)
    with TestClient(app, base_url="http://testserver", client=LOCAL,
                    headers={"X-Forwarded-For": forwarded}) as c:
        wrong = {"username": "bureau", "password": "wrong-password"}
        assert [c.post("/api/v1/auth/token", data=wrong).status_code for _ in range(3)] == [401, 401, 429]
        event = last_audit(database, action="auth.login")
        assert event is not None and event.client_addr == recorded
        # Another client behind the same proxy has its own count (when the proxy is trusted).
        other = c.post("/api/v1/auth/token", data=wrong, headers={"X-Forwarded-For": "192.0.2.44"})
        assert other.status_code == (401 if separate else 429)


def test_backups_leave_the_server_processes_metrics_files_out(settings):
    from govdata.security.backup import home_files

    folder = metrics.fresh_multiprocess_dir(settings.home_dir)
    try:
        (folder / "histogram_123.db").write_bytes(b"\0" * 64)  # rewritten on every request: never archived
        (settings.home_dir / "uploads").mkdir()
        (settings.home_dir / "uploads" / "1-waiting.csv").write_text("a,b\n")
        assert [name for name, _path in home_files(settings)] == ["home/uploads/1-waiting.csv"]
    finally:
        os.environ.pop(metrics.MULTIPROC_ENV, None)
