"""The domains, in dependency order; each may have models.py, api.py, pages.py, demo.py, jobs.py, plugin.py."""

from __future__ import annotations

import importlib
from types import ModuleType

DOMAINS = [
    "auth", "orgs", "audit", "notifications", "jobs", "work", "workdays",
    "catalog", "vendors", "datastore", "quality", "sharing", "opendata", "security", "supervision", "mail",
]


def domain_modules(part: str, *, skip: tuple[str, ...] = ()) -> list[ModuleType]:
    """`govdata.<domain>.<part>` for every domain that has one, in dependency order."""
    found = []
    for domain in DOMAINS:
        if domain in skip:
            continue
        name = f"govdata.{domain}.{part}"
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name not in (name, f"govdata.{domain}"):  # a missing import inside the module is a real error
                raise
    return found
