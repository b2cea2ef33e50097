"""The kinds of export that wait for a second person when they hold L4 values in clear (第二十一条): what each
hands over, where its file is fetched, whose person approves it and which L4 fields it holds for one exporter.

- `batch_rejects` (`datastore.service.REJECTS_EXPORT`): a batch's rejected rows, the values exactly as uploaded
  (masked for no one), so every L4 field of the entry counts; approved by another person of the entry's unit.
- `comparison_diffs` (`quality.compare.DIFFS_EXPORT`): a comparison run's kept differences, which show each
  side's key and compared fields as the downloader sees them (`compare.DiffMask`: their own unit's in clear,
  another unit's masked unless a grant gives them in clear). The L4 fields counted are those, on either side,
  that the file would hold in clear for this person. Approved by another person of the downloader's own unit:
  the values are either that unit's own (the owning unit, as for a batch's rows) or given to it in clear by a
  grant, which it holds and answers for (第十二条); one approval covers the one file, both sides together. The
  download is recorded under both resources' units as before, so a provider sees it in its own feed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.catalog.access import entry_use
from govdata.catalog.models import CatalogEntry
from govdata.datastore.models import IngestBatch
from govdata.datastore.service import REJECTS_EXPORT
from govdata.policy import grading
from govdata.quality import compare
from govdata.quality.models import Comparison, ComparisonRun

Labeled = list[tuple[str, str]]  # (field name, its label)


@dataclass(frozen=True)
class ExportSubject:
    """What an approval of one export names: the resource, and the unit whose other person decides."""

    entry: CatalogEntry
    unit_id: int


@dataclass(frozen=True)
class ExportKind:
    label: str  # what is exported, in Chinese
    target_label: str  # what its number numbers
    link: str  # where its file is fetched, "{id}" its target
    subject: Callable[[Session, Actor, int], ExportSubject | None]  # None: no such object
    l4_fields: Callable[[Session, Actor, CatalogEntry, int], Labeled]  # in clear in this person's file


def _labeled(entry: CatalogEntry, names: list[str]) -> Labeled:
    labels = entry.field_labels
    return [(n, labels.get(n, n)) for n in names]


def _batch_subject(db: Session, _actor: Actor, target_id: int) -> ExportSubject | None:
    batch = db.get(IngestBatch, target_id)
    return ExportSubject(batch.entry, batch.entry.unit_id) if batch is not None else None


def _batch_l4(_db: Session, _actor: Actor, entry: CatalogEntry, _target_id: int) -> Labeled:
    """A batch's rejected rows are the uploader's own rows as they came: every L4 field counts, whoever asks."""
    return _labeled(entry, grading.export_l4_fields(entry.fields, None))


def _run_comparison(db: Session, target_id: int) -> Comparison | None:
    run = db.get(ComparisonRun, target_id)
    return db.get(Comparison, run.comparison_id) if run is not None else None


def _diffs_subject(db: Session, actor: Actor, target_id: int) -> ExportSubject | None:
    """The side the asker's unit owns (else the left one), approved within the asker's unit; only someone who may
    see the comparison may ask (`comparison.view`)."""
    comparison = _run_comparison(db, target_id)
    if comparison is None:
        return None
    policy.require(actor, policy.Action.COMPARISON_VIEW, comparison)
    left, right = compare.sides(db, comparison)
    entry = right.entry if right.entry.unit_id == actor.unit_id else left.entry
    return ExportSubject(entry, actor.unit_id if actor.unit_id is not None else entry.unit_id)


def _diffs_l4(db: Session, actor: Actor, _entry: CatalogEntry, target_id: int) -> Labeled:
    """The L4 fields of either side that the file shows this person in clear (as `compare.DiffMask` shows them)."""
    comparison = _run_comparison(db, target_id)
    if comparison is None:
        return []
    found: Labeled = []
    for side in compare.sides(db, comparison):
        clear = policy.fields_in_clear(actor, entry_use(db, actor, side.entry, side.names))
        shown = [f for f in side.entry.fields if f.name in side.names]
        found += [pair for pair in _labeled(side.entry, grading.export_l4_fields(shown, clear)) if pair not in found]
    return found


EXPORT_KINDS: dict[str, ExportKind] = {
    REJECTS_EXPORT: ExportKind("汇聚批次未通过行", "批次编号", "/resources/batches/{id}/rejects.csv",
                               _batch_subject, _batch_l4),
    compare.DIFFS_EXPORT: ExportKind("比对结果差异明细", "比对结果编号", "/quality/comparison-runs/{id}/download.csv",
                                     _diffs_subject, _diffs_l4),
}
