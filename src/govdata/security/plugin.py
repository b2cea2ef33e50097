"""The security domain's hooks, gathered from its subjects."""

from __future__ import annotations

from govdata.security import (
    classified,  # noqa: F401
    grading,  # noqa: F401
)
