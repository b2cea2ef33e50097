"""The soak test's clients: one loop per kind of traffic, each alternating between the two app processes.

Every answer is tallied by kind and outcome. The request ids of answered requests that must leave an audit
event are kept, and each push batch's keys with whether it was answered, for the checks afterwards."""

from __future__ import annotations

import csv
import io
import itertools
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bench.soak_plan import Plan, review_valid_until
from govdata.datastore.demo import sfzh

KINDS = ("lookup", "push", "upload", "download", "review")
PASSWORD = "govdata-demo"
PUSH_ROWS = 20
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_batch_numbers = itertools.count()


class Failed(Exception):
    """An answer that is not the expected one (kept by its kind: `HTTP 503`, `connection refused` …)."""


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    ok: Counter[str] = field(default_factory=Counter)
    errors: dict[str, Counter[str]] = field(default_factory=dict)
    audited: set[str] = field(default_factory=set)
    batches: list[tuple[list[str], bool]] = field(default_factory=list)
    ok_times: list[tuple[float, str]] = field(default_factory=list)  # when each successful request started

    def success(self, kind: str, started: float, request_ids: list[str]) -> None:
        with self.lock:
            self.ok[kind] += 1
            self.audited.update(request_ids)
            self.ok_times.append((started, kind))

    def failure(self, kind: str, reason: str) -> None:
        with self.lock:
            self.errors.setdefault(kind, Counter())[reason] += 1

    def batch(self, keys: list[str], answered: bool) -> None:
        with self.lock:
            self.batches.append((keys, answered))

    def first_ok_after(self, moment: float, kind: str) -> float | None:
        with self.lock:
            later = [t for t, k in self.ok_times[-5000:] if t >= moment and k == kind]
        return min(later) if later else None

    def summary(self, kind: str) -> tuple[int, dict[str, int]]:
        with self.lock:
            return self.ok[kind], dict(self.errors.get(kind, Counter()))

    def answered_request_ids(self) -> set[str]:
        return set(self.audited)

    def push_batches(self) -> list[tuple[list[str], bool]]:
        return list(self.batches)


def expect(response: httpx.Response, *statuses: int) -> str:
    """The answer's request id, if its status is one of `statuses`."""
    if response.status_code not in statuses:
        raise Failed(f"HTTP {response.status_code}" + _said(response))
    return response.headers.get("x-request-id", "")


def _said(response: httpx.Response) -> str:
    """What an unexpected refusal said (a 503 during a fault is expected: the status alone, so they count as one)."""
    if response.status_code == 503:
        return ""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError, httpx.ResponseNotRead):
        return ""
    return f" ({error.get('field') or ''}: {str(error.get('message', ''))[:40]})"


def _token(client: httpx.Client, username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    expect(answer, 200)
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def lookup(client: httpx.Client, plan: Plan, n: int) -> list[str]:
    path = plan.lookup_paths[n % len(plan.lookup_paths)]
    return [expect(client.get(path, headers={"Authorization": f"Bearer {plan.lookup_token}",
                                             "X-Operator": "soak"}), 200)]


def push(client: httpx.Client, plan: Plan, n: int, tally: Tally) -> list[str]:
    first = 10_000_000 + next(_batch_numbers) * PUSH_ROWS
    rows = [{"sfzh": sfzh(i), "xm": f"压测{i}", "xb": "1", "mz": "01", "csrq": f"{sfzh(i)[6:10]}-{sfzh(i)[10:12]}-"
             f"{sfzh(i)[12:14]}", "hjdz": "福建省龙岩市新罗区", "xzqh": sfzh(i)[:6], "lxdh": "13800000000"}
            for i in range(first, first + PUSH_ROWS)]
    keys = [r["sfzh"] for r in rows]
    try:
        answer = client.post(f"/api/v1/resources/{plan.push_code}/records", json=rows,
                             headers={"Authorization": f"Bearer {plan.push_token}"})
        request_id = expect(answer, 200)
    except BaseException:
        tally.batch(keys, answered=False)
        raise
    tally.batch(keys, answered=True)
    return [request_id]


def download(client: httpx.Client, plan: Plan, n: int) -> list[str]:
    with client.stream("GET", plan.download_path) as answer:
        request_id = expect(answer, 200)
        size = sum(len(chunk) for chunk in answer.iter_bytes())
    if size < 100:
        raise Failed("short file")
    return [request_id]


def _signed_in(client: httpx.Client, username: str) -> str:
    page = client.get("/login")
    match = CSRF.search(page.text)
    if not match:
        raise Failed(f"sign-in form HTTP {page.status_code}")
    expect(client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": match.group(1),
                                       "next": "/"}), 303)
    home = client.get("/", follow_redirects=True)
    found = CSRF.search(home.text)
    if not found:
        raise Failed("no CSRF token")
    return found.group(1)


def upload(client: httpx.Client, plan: Plan, n: int, state: dict[str, str]) -> list[str]:
    """A CSV uploaded through the pages, previewed and loaded, as a steward does (each client signs in once:
    its cookie is its own)."""
    csrf = state.get(str(client.base_url))
    if csrf is None:
        csrf = state[str(client.base_url)] = _signed_in(client, "steward_gaj")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sfzh", "xm", "xb", "csrq"])
    for i in range(20_000_000 + n * 10, 20_000_000 + n * 10 + 10):
        code = sfzh(i)
        writer.writerow([code, f"上传{i}", "1", f"{code[6:10]}-{code[10:12]}-{code[12:14]}"])
    sent = client.post(f"/resources/{plan.upload_entry_id}/upload", data={"csrf_token": csrf},
                       files={"file": ("压测.csv", out.getvalue().encode(), "text/csv")})
    expect(sent, 303)
    loaded = client.post(sent.headers["location"] + "/load", data={"csrf_token": csrf})
    return [expect(loaded, 303)]


def review(client: httpx.Client, plan: Plan, n: int, state: dict[str, dict[str, str]]) -> list[str]:
    """A share request through submission, the provider's opinion and the bureau's (negative) review."""
    for name in ("steward_wjw", "head_center", "bureau"):
        if name not in state:
            state[name] = _token(client, name)
    body = {"code": plan.review_code, "fields": plan.review_fields, "duty": "压测：核验身份", "legal_basis": "压测依据",
            "system_id": plan.review_system_id, "valid_until": review_valid_until(), "daily_volume": 100}
    submitted = client.post("/api/v1/share/requests", json=body, headers=state["steward_wjw"])
    ids = [expect(submitted, 201)]
    request = submitted.json()
    opinion = client.post(f"/api/v1/share/requests/{request['id']}/opinion", headers=state["head_center"],
                          json={"version": request["version"], "agree": True, "opinion": "同意（压测）"})
    ids.append(expect(opinion, 200))
    decided = client.post(f"/api/v1/share/requests/{request['id']}/review", headers=state["bureau"],
                          json={"version": opinion.json()["version"], "approve": False, "note": "压测：不予批准"})
    ids.append(expect(decided, 200))
    return ids


def _operation(kind: str, plan: Plan, tally: Tally) -> Callable[[httpx.Client, int], list[str]]:
    state: dict[str, object] = {}
    table: dict[str, Callable[[httpx.Client, int], list[str]]] = {
        "lookup": lambda c, n: lookup(c, plan, n),
        "push": lambda c, n: push(c, plan, n, tally),
        "download": lambda c, n: download(c, plan, n),
        "upload": lambda c, n: upload(c, plan, n, state),  # type: ignore[arg-type]
        "review": lambda c, n: review(c, plan, n, state),  # type: ignore[arg-type]
    }
    return table[kind]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, Failed):
        return str(exc)
    if isinstance(exc, httpx.ConnectError):
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection dropped"
    return type(exc).__name__


def worker(kind: str, number: int, plan: Plan, bases: list[str], tally: Tally, stop: threading.Event) -> None:
    """Until `stop`: one operation after another, on the two processes in turn (a fresh client on each, so a
    killed process's connections are not reused)."""
    clients = [httpx.Client(base_url=base, timeout=30, follow_redirects=False) for base in bases]
    operation = _operation(kind, plan, tally)
    try:
        for n in itertools.count(number * 1_000_000):
            if stop.is_set():
                return
            started = time.monotonic()
            try:
                ids = operation(clients[n % len(clients)], n)
            except Exception as exc:  # every failure is counted by its kind, and the traffic goes on
                tally.failure(kind, _reason(exc))
                time.sleep(0.1)
                continue
            tally.success(kind, started, [i for i in ids if i])
    finally:
        for client in clients:
            client.close()
