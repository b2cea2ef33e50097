"""Job registration: a domain declares `@job("name", every=timedelta(...))` in its `jobs.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from govdata.domains import domain_modules

# A job gets the JobContext and returns a short summary; it must be safe to run twice.
JobFunc = Callable[[Any], str]


@dataclass(frozen=True)
class Job:
    name: str  # the code: the command line, the lock and the audit trail use it
    every: timedelta
    func: JobFunc
    description: str
    title: str = ""  # what people read: 清理过期会话与令牌

    @property
    def label(self) -> str:
        return self.title or self.description or self.name

    @property
    def schedule(self) -> str:
        return every_text(self.every)


def every_text(every: timedelta) -> str:
    """A period as people say it: 每 5 分钟, 每小时, 每 6 小时, 每天, 每 7 天."""
    minutes = int(every.total_seconds() // 60)
    if minutes <= 0:
        return f"每 {int(every.total_seconds())} 秒"
    if minutes % 1440 == 0:
        return "每天" if minutes == 1440 else f"每 {minutes // 1440} 天"
    if minutes % 60 == 0:
        return "每小时" if minutes == 60 else f"每 {minutes // 60} 小时"
    return f"每 {minutes} 分钟"


JOBS: dict[str, Job] = {}


def job(name: str, *, every: timedelta, title: str = "", description: str = "") -> Callable[[JobFunc], JobFunc]:
    def register(func: JobFunc) -> JobFunc:
        JOBS[name] = Job(name, every, func, description or (func.__doc__ or "").strip().split("\n")[0], title)
        return func

    return register


def load_all() -> dict[str, Job]:
    domain_modules("jobs")
    return JOBS
