"""`python -m bench [--quick] [--only NAME] [--both]`: run every bench module, print one table."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.harness import BenchContext, Figure, bench_database


def _modules(only: list[str] | None) -> list[str]:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    return [n for n in names if not only or any(o in n for o in only)]


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", action="append", help="run modules whose name contains this")
    parser.add_argument("--both", action="store_true", help="SQLite and PostgreSQL")
    args = parser.parse_args()
    backends = ["sqlite"]
    if os.environ.get("GOVDATA_DATABASE_URL"):
        backends = ["sqlite", "postgresql"] if args.both else ["postgresql"]
    console = Console(width=200)  # one row per figure, also when the output is a file
    figures: list[Figure] = []
    failed = False
    for name in _modules(args.only):
        module = importlib.import_module(f"bench.{name}")
        for backend in backends:
            console.print(f"[dim]running {name} on {backend} …[/dim]")
            try:
                with bench_database(backend) as (database, settings, workdir):
                    ctx = BenchContext(database, settings, workdir, backend, quick=args.quick)
                    for figure in module.run(ctx):
                        figure.backend = figure.backend or backend
                        figures.append(figure)
                    for note in ctx.notes:
                        console.print(f"[dim]{backend}: {note}[/dim]")
            except Exception:
                failed = True
                console.print(f"[red]{name} on {backend} failed[/red]")
                traceback.print_exc()
    table = Table(title="govdata bench")
    for column in ("figure", "backend", "value", "plain way", "ratio", "target"):
        table.add_column(column)
    for f in figures:
        ratio = f"{f.value / f.plain:.2f}x" if f.plain else ""
        plain = f"{f.plain:,.1f} {f.unit} ({f.plain_label})" if f.plain is not None else ""
        table.add_row(f.name, f.backend, f"{f.value:,.1f} {f.unit}", plain, ratio, f.target)
    console.print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
