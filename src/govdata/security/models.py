"""The security domain's tables, gathered from its subjects so that Alembic and tests see them."""

from __future__ import annotations

from govdata.security.grading_models import ExportApproval  # noqa: F401
