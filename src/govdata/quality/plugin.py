"""Quality's hooks: the row validator every way in calls, and a report after every loaded batch."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from govdata import hooks
from govdata.quality.models import ReportKind
from govdata.quality.reports import build_report
from govdata.quality.rules import parse_stored
from govdata.quality.validator import build_validator


@hooks.register_validator_factory
def quality_validator(db: Session, entry: Any) -> hooks.RowValidator | None:
    """The entry's rules compiled for this batch (None when it has none)."""
    return build_validator(db, entry)


@hooks.register_batch_listener
def batch_report(db: Session, *, entry: Any, batch_id: int, rejected: int, loaded: int,
                 summary: hooks.BatchSummary | None = None) -> None:
    """Every batch gets a report on the rows it loaded (uniqueness and references checked against the store)."""
    if not parse_stored(entry) and not loaded and not rejected:
        return
    build_report(db, entry, kind=ReportKind.BATCH, batch_id=batch_id, rejected=rejected, by="批次", summary=summary)
