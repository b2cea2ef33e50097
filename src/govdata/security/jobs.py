"""The security domain's scheduled work, gathered from its subjects (each registers with `@job`)."""

from __future__ import annotations

from govdata.security import backup_jobs, dengbao_jobs, logpush_jobs  # noqa: F401
