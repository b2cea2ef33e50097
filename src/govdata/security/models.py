"""The security domain's tables, gathered from its subjects so that Alembic and tests see them."""

from __future__ import annotations

from govdata.security import backup_models, grading_models, incident_models, logpush_models, switch_models  # noqa: F401
