"""What the scale benches (`python -m bench.scale`, `make bench SIZE=10m`) share: each `bench/scale_*.py` module
has `measure(ctx: ScaleContext) -> list[ScalePoint]`, called once per size and backend; `bench/scale.py` prints
every point as one table of cost against size, so that a cost growing faster than the data shows at a glance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from govdata.config import Settings
from govdata.storage.engines import Database


@dataclass
class ScalePoint:
    work: str  # what was measured, the same text at every size: "CSV ingest, demo rule set, empty table"
    size: int  # the rows (or audit events) the work ran against
    value: float
    unit: str  # "rows/s", "ms", "MB", "s"
    higher_is_better: bool  # rows/s: True; p99 ms, seconds: False
    backend: str = ""
    note: str = ""  # e.g. "p50 3.1 ms" or what was held
    per_size: bool = False  # a quantity that grows with what it ran against (bytes on disk): judged per row


@dataclass
class ScaleContext:
    database: Database  # fresh and migrated for this size and backend
    settings: Settings
    workdir: Path  # scratch space, removed afterwards
    backend: str  # "sqlite" | "postgresql"
    rows: int  # the resource size: 1_000_000 or 10_000_000 (smaller with --quick)
    audit_events: int  # the audit size: up to 50_000_000
    notes: list[str] = field(default_factory=list)
