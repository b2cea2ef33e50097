"""`python -m bench.scale --up-to 10m [--both] [--quick] [--only NAME] [--markdown PATH]` (`make bench SIZE=10m`):
cost against size (issue 18 item 7).

For each size (1 M rows, then 10 M; `--quick`: 10 k and 100 k, a smoke run) and each backend, a fresh migrated
database and scratch folder (`bench.harness.bench_database`, removed before the next size, so the disk holds one
size at a time), then every `bench/scale_*.py` module's `measure(ctx)` (`bench/scale_types.py`). One table comes
out: a row per (work, backend), a column per size, and the growth from the smallest size to the largest judged by
the issue's rule — a rate (rows/s, lookups/s, rows per CPU-second) within 20 % of the smallest size's, a latency
flat (within 20 % or 2 ms), CPU per call within 20 %, memory flat (within 20 % or 20 MB), a time in seconds or a
size on disk growing no faster than the data (per row or event, within 20 %). On a shared machine the wall figures
move with its load; the CPU ones (the process's own CPU time) much less.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.harness import bench_database
from bench.scale_types import ScaleContext, ScalePoint

SIZES = {"1m": 1_000_000, "10m": 10_000_000}
QUICK = {"10k": 10_000, "100k": 100_000}
AUDIT_PER_ROW = 5  # audit events per resource row: 50 M events beside 10 M rows (issue 18)


def modules(only: list[str] | None) -> list[str]:
    """The scale modules: `bench/scale_*.py` that have `measure` (the types and the runner have not)."""
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("scale_"))
    found = [n for n in names if n != "scale_types" and (not only or any(o in n for o in only))]
    return [n for n in found if hasattr(importlib.import_module(f"bench.{n}"), "measure")]


def sizes(up_to: str, quick: bool) -> dict[str, int]:
    if quick:
        return dict(QUICK)
    labels = list(SIZES)
    return {label: SIZES[label] for label in labels[: labels.index(up_to) + 1]}


def fmt(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"


def growth(first: ScalePoint, last: ScalePoint, first_label: str, last_label: str) -> str:
    """The last size's cost against the first's, and whether it keeps to the issue's rule."""
    if not first.value:
        return ""
    ratio = last.value / first.value
    if first.higher_is_better:
        ok = ratio >= 0.8
        text = f"{ratio:.2f}× {first.unit}"
    elif first.unit == "s" or first.per_size:  # a time or a size that must grow no faster than the data
        per_row = ratio * first.size / last.size if last.size else ratio
        ok = per_row <= 1.2
        text = f"{ratio:.2f}× {first.unit}, {per_row:.2f}× per row"
    else:
        slack = {"ms": 2.0, "µs": 0.0}.get(first.unit, 20.0)  # MB: 20 MB
        ok = ratio <= 1.2 or last.value - first.value <= slack
        text = f"{ratio:.2f}× {first.unit} ({last.value - first.value:+,.1f})"
    return f"{last_label}/{first_label}: {text} {'✓' if ok else '✗'}"


def table_rows(points: dict[str, list[ScalePoint]], labels: list[str]) -> list[list[str]]:
    """One row per (work, backend) in the order first seen; a cell per size; the growth last."""
    keys: list[tuple[str, str]] = []
    cells: dict[tuple[str, str], dict[str, ScalePoint]] = {}
    for label in labels:
        for p in points.get(label, []):
            key = (p.work, p.backend)
            if key not in cells:
                keys.append(key)
                cells[key] = {}
            cells[key][label] = p
    rows = []
    for key in keys:
        row = cells[key]
        seen = [label for label in labels if label in row]
        change = growth(row[seen[0]], row[seen[-1]], seen[0], seen[-1]) if len(seen) > 1 else ""
        rows.append([key[0], key[1], *(fmt(row[label].value, row[label].unit) + (f" ({row[label].note})"
                                                                                 if row[label].note else "")
                                       if label in row else "—" for label in labels), change])
    return rows


def markdown(rows: list[list[str]], labels: list[str], title: str) -> str:
    head = ["work", "backend", *labels, "growth"]
    lines = [f"### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--up-to", choices=list(SIZES), default="10m", help="the largest size (1m, 10m)")
    parser.add_argument("--quick", action="store_true", help="10k and 100k rows: a smoke run")
    parser.add_argument("--both", action="store_true", help="SQLite and PostgreSQL (GOVDATA_DATABASE_URL)")
    parser.add_argument("--only", action="append", help="run scale modules whose name contains this")
    parser.add_argument("--markdown", type=Path, help="also write the table as markdown to this file")
    args = parser.parse_args()
    backends = ["sqlite"]
    if os.environ.get("GOVDATA_DATABASE_URL"):
        backends = ["sqlite", "postgresql"] if args.both else ["postgresql"]
    names = modules(args.only)
    chosen = sizes(args.up_to, args.quick)
    console = Console(width=220)
    points: dict[str, list[ScalePoint]] = {}
    failed = False
    for label, rows in chosen.items():
        for backend in backends:
            for name in names:  # each module its own fresh database: one's leftovers never weigh on another
                console.print(f"[dim]{time.strftime('%H:%M:%S')} {name} at {label} on {backend} …[/dim]")
                started = time.perf_counter()
                try:
                    with bench_database(backend) as (database, settings, workdir):
                        ctx = ScaleContext(database, settings, workdir, backend, rows, rows * AUDIT_PER_ROW)
                        for point in importlib.import_module(f"bench.{name}").measure(ctx):
                            point.backend = point.backend or backend
                            points.setdefault(label, []).append(point)
                        for note in ctx.notes:
                            console.print(f"[dim]{backend} {label}: {note}[/dim]")
                except Exception:
                    failed = True
                    console.print(f"[red]{name} at {label} on {backend} failed[/red]")
                    traceback.print_exc()
                console.print(f"[dim]{name} at {label} on {backend}: {time.perf_counter() - started:,.0f} s[/dim]")
            report(console, points, list(chosen), args.markdown, final=False)
    rows_out = report(console, points, list(chosen), args.markdown, final=True)
    return 1 if failed or not rows_out else 0


def report(console: Console, points: dict[str, list[ScalePoint]], labels: list[str], path: Path | None,
           final: bool) -> list[list[str]]:
    """The table of what has been measured so far: printed (whole at the end, so far after each size and
    backend, since a 10 M run takes most of an hour) and written as markdown."""
    rows_out = table_rows(points, labels)
    title = (f"govdata scale bench: cost against size ({', '.join(labels)} rows; {os.cpu_count()} cores)"
             + ("" if final else f" — so far, {time.strftime('%H:%M:%S')}"))
    table = Table(title=title)
    for column in ("work", "backend", *labels, "growth"):
        table.add_column(column)
    for row in rows_out:
        table.add_row(*row)
    console.print(table)
    if path:
        path.write_text(markdown(rows_out, labels, title), encoding="utf-8")
    return rows_out


if __name__ == "__main__":
    sys.exit(main())
