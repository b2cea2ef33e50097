"""The security domain's hooks, gathered from its subjects."""

from __future__ import annotations

from govdata.security import (
    backup_panel,  # noqa: F401
    classified,  # noqa: F401
    classified_files,  # noqa: F401  (an upload carrying a marking refused before it is kept)
    grading,  # noqa: F401
    switch_incidents,  # noqa: F401  (an incident opened from a switch)
    switch_reads,  # noqa: F401
)
