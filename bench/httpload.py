"""A small HTTP load generator: N concurrent clients (asyncio + httpx keep-alive connections) for a fixed time."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass
class LoadResult:
    ok: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds, successful calls
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
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
