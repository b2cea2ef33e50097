"""HTTP load for the benches: `wrk` (a C load generator) when installed, else a small Python one.

The Python generator (asyncio + httpx keep-alive connections) tops out at a few hundred requests a second
on this machine, so it measures itself as much as the server; `wrk` does not. Both keep to loopback and
a fixed duration. `wrk` reports latencies of every response (its histogram has no per-status split), the
Python generator of successful ones; the runs here return 200 throughout (statuses are printed).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass
class LoadResult:
    ok: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds, successful calls
    seconds: float = 0.0
    generator: str = "python"
    fixed: dict[float, float] = field(default_factory=dict)  # percentile -> seconds, when the tool gives them

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if p in self.fixed:
            return self.fixed[p]
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def _client(base: str, path_for: Callable[[random.Random], str], headers: dict[str, str], stop: float,
                  result: LoadResult, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        while time.perf_counter() < stop:
            start = time.perf_counter()
            try:
                response = await client.get(path_for(rng))
            except httpx.HTTPError:
                result.failed += 1
                continue
            result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                result.ok += 1
                result.latencies.append(time.perf_counter() - start)
            else:
                result.failed += 1


def run_load(base: str, path_for: Callable[[random.Random], str], headers: dict[str, str], *, clients: int,
             seconds: float) -> LoadResult:
    result = LoadResult()

    async def main() -> None:
        start = time.perf_counter()
        stop = start + seconds
        await asyncio.gather(*[_client(base, path_for, headers, stop, result, i) for i in range(clients)])
        result.seconds = time.perf_counter() - start

    asyncio.run(main())
    return result


# Each wrk thread picks a random path from the list per request and counts statuses; `done` prints one
# JSON line with the totals and the latency percentiles (microseconds) for the parser below.
_LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
wrk.headers["Authorization"] = "%(authorization)s"
wrk.headers["X-Operator"] = "%(operator)s"
local threads = {}
function setup(thread) thread:set("id", #threads + 1) table.insert(threads, thread) end
function init(args) statuses = {} math.randomseed(id * 7919) end
function request() return wrk.format("GET", paths[math.random(#paths)]) end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do parts[#parts + 1] = string.format('"%%d": %%d', status, n) end
  io.write(string.format('WRKJSON {"duration_us": %%d, "errors": %%d, "p50": %%d, "p90": %%d, "p99": %%d, ' ..
    '"statuses": {%%s}}\n', summary.duration, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), table.concat(parts, ", ")))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(base: str, paths: list[str], headers: dict[str, str], *, clients: int, seconds: float,
            threads: int = 2) -> LoadResult:
    """`wrk -t2 -c{clients} -d{seconds}s --latency` against loopback `base`, one random path per request."""
    if not base.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError("load is generated against loopback only")
    with tempfile.TemporaryDirectory(prefix="govdata-wrk-") as tmp:
        paths_file = Path(tmp) / "paths.txt"
        paths_file.write_text("\n".join(paths) + "\n")
        script = Path(tmp) / "load.lua"
        script.write_text(_LUA % {"paths": paths_file, "authorization": headers.get("Authorization", ""),
                                  "operator": headers.get("X-Operator", "")})
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--latency",
                              "--timeout", "10s", "-s", str(script), base], capture_output=True, text=True,
                             timeout=seconds + 60, check=True).stdout
    match = re.search(r"^WRKJSON (.*)$", out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    data = json.loads(match.group(1))
    statuses = {int(k): int(v) for k, v in data["statuses"].items()}
    ok = statuses.get(200, 0)
    return LoadResult(ok=ok, failed=sum(statuses.values()) - ok + data["errors"], statuses=statuses,
                      seconds=data["duration_us"] / 1e6, generator="wrk",
                      fixed={0.5: data["p50"] / 1e6, 0.9: data["p90"] / 1e6, 0.99: data["p99"] / 1e6})
