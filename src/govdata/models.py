"""Every table, imported once so that Alembic and tests see the whole metadata."""

from __future__ import annotations

from govdata.domains import DOMAINS, import_optional

for _domain in DOMAINS:
    _name = f"govdata.{_domain}.models"
    import_optional(_name)
