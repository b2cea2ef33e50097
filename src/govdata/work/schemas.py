"""The progress endpoint's answer (what progress.js reads)."""

from __future__ import annotations

from pydantic import BaseModel


class WorkRead(BaseModel):
    """A piece of background work as its page and endpoint show it: counts, time left, then result or error."""

    id: int
    kind: str
    title: str
    state: str  # queued | running | done | failed
    state_label: str
    done: int
    total: int | None
    measure: str
    percent: int | None
    seconds_left: int | None
    time_left: str
    result_href: str
    result_text: str
    error: str
    counts: str  # the line under the bar
    finished: bool
