"""Every table, imported once so that Alembic and tests see the whole metadata."""

from __future__ import annotations

import importlib

from govdata.domains import DOMAINS

for _domain in DOMAINS:
    _name = f"govdata.{_domain}.models"
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name not in (_name, f"govdata.{_domain}"):
            raise
