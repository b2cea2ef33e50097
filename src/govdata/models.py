"""Every table, imported once so that Alembic and tests see the whole metadata."""

from __future__ import annotations

from govdata.domains import domain_modules

domain_modules("models")
