"""The demo: every domain seeds its part, in dependency order. Safe to run again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from govdata.config import Settings
from govdata.domains import domain_modules
from govdata.orgs import demo as orgs_demo
from govdata.storage.engines import Database
from govdata.terminal import make_console


@dataclass
class DemoContext:
    settings: Settings
    database: Database
    console: Console
    units: dict[str, Any] = field(default_factory=dict)
    base_rows: int = 100_000  # rows per base database (人口/法人/电子证照)
    # Steps that need what domains seeded after theirs (a vendor's agreement names a base resource, which
    # the datastore's demo registers): run once every domain has seeded.
    afterwards: list[Callable[[DemoContext], None]] = field(default_factory=list)


def seed(database: Database, settings: Settings, *, console: Console | None = None,
         base_rows: int | None = None) -> DemoContext:
    ctx = DemoContext(settings, database, console or make_console(stderr=True, quiet=True))
    if base_rows is not None:
        ctx.base_rows = base_rows
    with database.write() as db:
        ctx.units = {code: unit.id for code, unit in orgs_demo.seed(db, settings.demo_password).items()}
    for module in domain_modules("demo", skip=("orgs",)):
        module.seed(ctx)
    for step in ctx.afterwards:
        step(ctx)
    return ctx
