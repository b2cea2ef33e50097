"""The domains, in dependency order; each may have models.py, api.py (JSON) and pages.py (HTML)."""

import importlib
from types import ModuleType

DOMAINS = [
    "auth", "orgs", "audit", "notifications", "jobs", "workdays",
    "catalog", "datastore", "quality", "sharing",
]


def import_optional(name: str) -> ModuleType | None:
    """Import `govdata.<domain>.<part>` if that domain has it; None when the module (or its domain) is absent."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if name == missing or name.startswith(missing + "."):
            return None
        raise
