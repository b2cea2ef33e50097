"""Job registration: a domain declares `@job("name", every=timedelta(...))` in its `jobs.py`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from govdata.domains import DOMAINS

# A job gets the JobContext and returns a short summary; it must be safe to run twice.
JobFunc = Callable[[Any], str]


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    func: JobFunc
    description: str


JOBS: dict[str, Job] = {}


def job(name: str, *, every: timedelta, description: str = "") -> Callable[[JobFunc], JobFunc]:
    def register(func: JobFunc) -> JobFunc:
        JOBS[name] = Job(name, every, func, description or (func.__doc__ or "").strip().split("\n")[0])
        return func

    return register


def load_all() -> dict[str, Job]:
    for domain in DOMAINS:
        name = f"govdata.{domain}.jobs"
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name not in (name, f"govdata.{domain}"):
                raise
    return JOBS
