"""Comparisons (比对, 第十条) as people and jobs use them: set up, run, look at and download, each asked of policy.

A comparison joins two resources' values, so it is a way data leaves a unit like any other: another unit's
entry can be used only through an active grant to the comparing unit, and only on the granted fields
(`policy.ComparisonUse`, checked again at every run, since grants end). Runs, views of the differences and
downloads are audited under both resources' units, so that each provider sees them in its own audit feed.
The SQL that does the comparing is in `quality.compare_sql`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import hooks, policy
from govdata.actor import Actor, Method
from govdata.audit.service import acting, record
from govdata.auth.service import actor_for_user, find_user_by_name
from govdata.catalog.access import entry_use
from govdata.catalog.models import CatalogEntry
from govdata.errors import NotFound, RuleViolation
from govdata.masking import exits
from govdata.masking.masker import Masker
from govdata.policy import Action, ComparisonUse
from govdata.quality.compare_sql import KEEP, Diff, diffs_csv, diffs_of, execute, runs_of
from govdata.quality.models import Comparison, ComparisonDiff, ComparisonRun
from govdata.quality.schemas import ComparisonCreate
from govdata.quality.slices import Progress
from govdata.quality.validator import find_registered
from govdata.storage.engines import Database

__all__ = ["DIFFS_EXPORT", "KEEP", "Diff", "DiffMask", "Side", "create_comparison", "diffs_of", "download_diffs",
           "get_comparison", "get_run", "list_comparisons", "run_comparison", "runs_of", "sides", "view_diffs"]

Pairs = list[tuple[str, str]]
DIFFS_EXPORT = "comparison_diffs"  # the export kind of a run's kept differences (hooks.check_export)


def _resource(db: Session, code: str, side: str) -> CatalogEntry:
    entry = find_registered(db, code)
    if entry is None:
        raise NotFound(f"资源 {code} 不存在或未注册", field=f"{side}_code")
    return entry


def _not_self(left: CatalogEntry, right: CatalogEntry) -> None:
    if left.id == right.id:
        raise RuleViolation("不能将资源与其自身比对，请选择另一个资源作为右侧", field="right_code")


def _check_pairs(left: CatalogEntry, right: CatalogEntry, pairs: Pairs, name: str) -> None:
    lf, rf = {f.name for f in left.fields}, {f.name for f in right.fields}
    for a, b in pairs:
        if a not in lf:
            raise RuleViolation(f"左侧资源没有字段 {a}", field=name)
        if b not in rf:
            raise RuleViolation(f"右侧资源没有字段 {b}", field=name)


def _use(db: Session, actor: Actor, comparison_id: int | None, left: CatalogEntry, right: CatalogEntry,
         keys: Pairs, fields: Pairs) -> ComparisonUse:
    """What the comparison uses of each side (its key and compared fields), with what is granted."""
    pairs = keys + fields
    return ComparisonUse(comparison_id, actor.unit_id, entry_use(db, actor, left, {a for a, _ in pairs}),
                         entry_use(db, actor, right, {b for _, b in pairs}))


def _pairs(text: str) -> Pairs:
    return [(a, b) for a, b in orjson.loads(text)]


def _entries(db: Session, comparison: Comparison) -> tuple[CatalogEntry, CatalogEntry]:
    left, right = db.get(CatalogEntry, comparison.left_entry_id), db.get(CatalogEntry, comparison.right_entry_id)
    if left is None or right is None:
        raise NotFound("参与比对的资源已不存在", field="comparison_id")
    return left, right


def _record_for_other_side(db: Session, actor: Actor, action: Action, target: object, left: CatalogEntry,
                           right: CatalogEntry, **fields: object) -> None:
    """The same operation on the record of the other resource's unit, so that both providers see it."""
    if right.unit_id != left.unit_id:
        record(db, actor, action, target, owner_unit_id=right.unit_id, resource_code=right.code, **fields)


def create_comparison(db: Session, actor: Actor, *, data: ComparisonCreate) -> Comparison:
    left, right = _resource(db, data.left_code, "left"), _resource(db, data.right_code, "right")
    _not_self(left, right)
    _check_pairs(left, right, data.key_pairs, "key_pairs")
    _check_pairs(left, right, data.field_pairs, "field_pairs")
    use = _use(db, actor, None, left, right, data.key_pairs, data.field_pairs)
    with acting(db, actor, Action.COMPARISON_RUN, target=use, owner_unit_id=left.unit_id,
                resource_code=left.code) as audit:
        comparison = Comparison(name=data.name, unit_id=actor.unit_id, left_entry_id=left.id,
                                right_entry_id=right.id, key_pairs=orjson.dumps(data.key_pairs).decode(),
                                field_pairs=orjson.dumps(data.field_pairs).decode(), threshold=data.threshold,
                                is_scheduled=data.is_scheduled, created_by=actor.name)
        db.add(comparison)
        db.flush()
        audit.target = comparison
        audit.details = {"op": "create", **data.model_dump(mode="json")}
    _record_for_other_side(db, actor, Action.COMPARISON_RUN, comparison, left, right, details=audit.details)
    return comparison


def get_comparison(db: Session, actor: Actor, *, comparison_id: int) -> Comparison:
    """A comparison as `actor` may see it: the comparing unit, both resources' units, the bureau and center."""
    comparison = db.get(Comparison, comparison_id)
    if comparison is None:
        raise NotFound("比对任务不存在", field="comparison_id")
    policy.require(actor, Action.COMPARISON_VIEW, comparison)
    return comparison


def list_comparisons(db: Session, actor: Actor) -> list[Comparison]:
    query = select(Comparison).where(policy.where(actor, Action.COMPARISON_VIEW, Comparison))
    return list(db.execute(query.order_by(Comparison.id.desc())).scalars())


def scheduled_actor(db: Session, comparison: Comparison) -> Actor | None:
    """Who a scheduled run acts as: the person who set the comparison up, as they are today (roles, unit),
    so that it uses only what they may still use; None when that person is gone or disabled."""
    user = find_user_by_name(db, username=comparison.created_by)
    if user is None or not user.is_active:
        return None
    return actor_for_user(user, Method.JOB)


def run_comparison(db: Session, actor: Actor, *, comparison_id: int,
                   progress: Progress | None = None) -> ComparisonRun:
    """Run it now, if `actor` may still use both sides (a grant may have ended since it was set up).
    `progress` is told the rows of both sides read as it goes (background work's bar)."""
    comparison = get_comparison(db, actor, comparison_id=comparison_id)
    left, right = _entries(db, comparison)
    _not_self(left, right)  # one set up before this was refused
    use = _use(db, actor, comparison.id, left, right, _pairs(comparison.key_pairs), _pairs(comparison.field_pairs))
    with acting(db, actor, Action.COMPARISON_RUN, target=use, owner_unit_id=left.unit_id,
                resource_code=left.code) as audit:
        run = execute(db, comparison, by=actor.name, progress=progress)
        audit.target = comparison
        audit.row_count = run.left_rows + run.right_rows
        audit.details = {"op": "run", "run_id": run.id, "matched": run.matched, "only_left": run.only_left,
                         "only_right": run.only_right, "passed": run.passed}
    _record_for_other_side(db, actor, Action.COMPARISON_RUN, comparison, left, right, row_count=audit.row_count,
                           details=audit.details)
    return run


def get_run(db: Session, actor: Actor, *, run_id: int) -> ComparisonRun:
    run = db.get(ComparisonRun, run_id)
    if run is None:
        raise NotFound("比对结果不存在", field="run_id")
    get_comparison(db, actor, comparison_id=run.comparison_id)
    return run


@dataclass(frozen=True)
class Side:
    """One resource of a comparison and the fields of it that its differences show (keys and compared fields)."""

    entry: CatalogEntry
    names: list[str]


def sides(db: Session, comparison: Comparison) -> tuple[Side, Side]:
    """The left and right resources as a run's differences show them (what a download of them hands over)."""
    left, right = _entries(db, comparison)
    pairs = _pairs(comparison.key_pairs) + _pairs(comparison.field_pairs)
    return (Side(left, sorted({a for a, _ in pairs} & _names(left))),
            Side(right, sorted({b for _, b in pairs} & _names(right))))


class DiffMask:
    """Shows a kept difference as one reader may see it: each side's values and record keys through that side's
    masker (`masking.exits.view_for`: in clear for its own unit, masked for anyone else unless granted in clear)."""

    def __init__(self, db: Session, actor: Actor, comparison: Comparison) -> None:
        left, right = sides(db, comparison)
        self.keys = _pairs(comparison.key_pairs)
        self.right_of = dict(_pairs(comparison.field_pairs))
        self.left = exits.view_for(db, actor, left.entry, left.names)
        self.right = exits.view_for(db, actor, right.entry, right.names)

    def __call__(self, diff: ComparisonDiff) -> Diff:
        if diff.kind == "only_right":
            key = exits.mask_key_text(self.right, [b for _, b in self.keys], diff.record_key)
        else:
            key = exits.mask_key_text(self.left, [a for a, _ in self.keys], diff.record_key)
        left_value = _shown(self.left, diff.field, diff.left_value)
        right_value = _shown(self.right, self.right_of.get(diff.field, ""), diff.right_value)
        return Diff(diff.kind, key, diff.field, left_value, right_value)


def _names(entry: CatalogEntry) -> set[str]:
    return {f.name for f in entry.fields}


def _shown(masker: Masker, name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if name not in masker.rules:
        return "****"
    shown = masker.mask_value(name, value)
    return None if shown is None else str(shown)


def _audited_read(db: Session, actor: Actor, run: ComparisonRun, view: str, rows: int | None) -> Comparison:
    comparison = db.get(Comparison, run.comparison_id)
    assert comparison is not None
    left, right = _entries(db, comparison)
    details = {"view": view, "run_id": run.id}
    with acting(db, actor, Action.COMPARISON_VIEW, target=comparison, owner_unit_id=left.unit_id,
                resource_code=left.code, row_count=rows, details=details):
        pass
    _record_for_other_side(db, actor, Action.COMPARISON_VIEW, comparison, left, right, row_count=rows,
                           details=details)
    return comparison


def view_diffs(db: Session, actor: Actor, *, run_id: int, limit: int = 200) -> tuple[ComparisonRun, list[Diff]]:
    """A run and its first differences, masked for the reader, as the run page shows them; the view is
    audited for both units."""
    run = get_run(db, actor, run_id=run_id)
    diffs = diffs_of(db, run_id=run.id, limit=limit)
    comparison = _audited_read(db, actor, run, "page", len(diffs))
    shown = DiffMask(db, actor, comparison)
    return run, [shown(d) for d in diffs]


def download_diffs(db: Session, actor: Actor, database: Database, *, run_id: int) -> Iterator[str]:
    """The kept differences as CSV, masked for the reader; recorded for both units in the request's transaction,
    which commits before the file streams from a session of its own. A file that would hold L4 values in clear
    is made only with a second person's approval in hand (`hooks.check_export`, 第二十一条), which it uses up."""
    run = get_run(db, actor, run_id=run_id)
    if run.kept:
        comparison = db.get(Comparison, run.comparison_id)
        assert comparison is not None
        hooks.check_export(db, actor, entry=_entries(db, comparison)[0], kind=DIFFS_EXPORT, target_id=run.id)
    comparison = _audited_read(db, actor, run, "download", run.kept)
    return diffs_csv(database, run_id=run.id, shown=DiffMask(db, actor, comparison))
