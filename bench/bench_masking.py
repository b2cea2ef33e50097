"""Masking: time per row (in ns, so that the plain way shows too) to mask a realistic population row
(人口基础信息: 身份证号, 姓名, 户籍地址 and 联系电话 masked, four fields in clear) with a prepared `Masker`, beside the
plainest way of handing a row on: copying it. Also what building a Masker costs, which callers pay once per
(entry, fields, choices), not per row. No database involved."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from bench.harness import BenchContext, Figure
from govdata.catalog import demo_data
from govdata.catalog.demo import parse_field
from govdata.datastore.demo import Pools, people
from govdata.masking.masker import masker_for

KEY = "bench-secret"


def _fields() -> list[Any]:
    specs = next(spec for spec in demo_data.BASE if spec[0] == "人口基础信息")[-1]
    return [parse_field(s) for s in specs]


def _rows(count: int) -> list[dict[str, Any]]:
    rows = list(people(count, Pools()))
    for row in rows:  # as the table gives it back: a date, not text
        row["csrq"] = date.fromisoformat(row["csrq"])
    return rows


def _per_row(work: Callable[[Any], Any], rows: list[Any], rounds: int) -> float:
    """Best of three passes, in ns of this process's CPU time per row: on a shared machine wall time mostly
    measures the neighbours (CPU-bound work, so CPU time is what a core would spend)."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(rounds):
            for row in rows:
                work(row)
        best = min(best, (time.process_time() - start) / (rounds * len(rows)))
    return best * 1e9


def run(ctx: BenchContext) -> list[Figure]:
    fields = _fields()
    rows = _rows(2000)
    tuples = [tuple(r[f.name] for f in fields) for r in rows]
    rounds = ctx.size(20, 2)
    masker = masker_for(fields, key=KEY)
    ctx.notes.append(f"masking: {masker.describe()}")
    as_dict = _per_row(masker.mask_row, rows, rounds)
    as_tuple = _per_row(masker.mask_tuple, tuples, rounds)
    copy_dict = _per_row(dict, rows, rounds)
    copy_tuple = _per_row(list, tuples, rounds)
    start = time.process_time()
    builds = ctx.size(2000, 200)
    for _ in range(builds):
        masker_for(fields, key=KEY)
    build = (time.process_time() - start) / builds * 1e6
    return [
        Figure("masking: population row as dict (8 fields, 4 masked)", as_dict, "ns/row", plain=copy_dict,
               plain_label="dict(row)", backend="none"),
        Figure("masking: population row as tuple (driver order)", as_tuple, "ns/row", plain=copy_tuple,
               plain_label="list(row)", backend="none"),
        Figure("masking: build a Masker for those 8 fields", build, "µs", backend="none"),
    ]
