"""Masking a batch of rows column by column, for streamed downloads of any size: the same rules and the same
outputs as `Masker.mask_tuple` row by row (tests/opendata/test_fast_download.py holds them to it), at a fraction
of the cost.

A column in clear is handed on as it came; a suppressed one is a column of None; 身份证号 take their own fast
path (`identifiers.mask_id_card_column`). Every other rule is a pure function of the value, and values repeat
(names, addresses, phone numbers, dates): each distinct value is masked once per download and remembered, up to
`MEMO_MAX` values per column. A column whose values hardly repeat stops being remembered. A caller that does
one more thing to every value as it leaves (e.g. a formula neutralisation, `exports.neutral`) hands it over as
a `Finish`: remembered values are remembered finished, so that a repeated value is neither masked nor finished
twice. A batch may also come as one flat list, row after row (`mask_flat`): columns in clear stay where they
lie, the others are masked as slices of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from govdata.catalog.models import MaskingRule
from govdata.masking.identifiers import mask_id_card_column
from govdata.masking.masker import Masker
from govdata.masking.rules import Mask

Column = Sequence[Any]
MEMO_MAX = 50_000  # distinct values remembered per column (then forgotten and started again)
TRIAL = 4_000  # values seen before deciding whether a column repeats enough to be worth remembering
MOSTLY_NEW = 0.9  # the share of new values past which a column is no longer remembered
_MISSING = object()
_TEXT = frozenset({str, type(None)})


@dataclass(frozen=True)
class Finish:
    """What the caller does to each value after masking: `value` to one, `column` to a column at once (it must
    give what `value` gives each value; it may hand back the column itself when that changes nothing)."""

    value: Callable[[Any], Any]
    column: Callable[[Column], Column]


def _same(values: Column) -> Column:
    return values


NOTHING = Finish(value=lambda v: v, column=_same)


class _Remembered:
    """One rule over a column, each distinct value masked (and finished) once. Texts are remembered by
    themselves, other values by their type and value (1, 1.0 and True are equal keys, but a rule may mask them
    differently)."""

    __slots__ = ("_do", "_finish", "_mask", "_memo", "_new", "_seen")

    def __init__(self, mask: Mask, finish: Finish) -> None:
        self._mask, self._finish = mask, finish
        self._do: Mask = mask if finish is NOTHING else lambda v: finish.value(mask(v))
        self._memo: dict[Any, Any] | None = {None: self._do(None)}
        self._seen = self._new = 0

    def __call__(self, values: Column) -> Column:
        memo = self._memo
        if memo is not None:
            try:
                try:
                    return list(map(memo.__getitem__, values))  # every value seen before (the usual batch, warm)
                except KeyError:
                    return self._fill(memo, values)
            except TypeError:  # a value that cannot be remembered (not hashable)
                pass
        return self._finish.column(list(map(self._mask, values)))

    def _fill(self, memo: dict[Any, Any], values: Column) -> list[Any]:
        if len(memo) > MEMO_MAX:
            memo.clear()
            memo[None] = self._do(None)
        do = self._do
        if set(map(type, values)) <= _TEXT:  # texts (and None) only: the new ones masked, then all looked up
            fresh = set(values).difference(memo)
            for v in fresh:
                memo[v] = do(v)
            out = list(map(memo.__getitem__, values))
            new = len(fresh)
        else:
            get, out, new = memo.get, [], 0
            for v in values:
                key = v if v.__class__ is str or v is None else (v.__class__, v)
                found = get(key, _MISSING)
                if found is _MISSING:
                    found = memo[key] = do(v)
                    new += 1
                out.append(found)
        self._seen += len(values)
        self._new += new
        if self._seen >= TRIAL and self._new > MOSTLY_NEW * self._seen:
            self._memo = None
        return out


def _plan(rule: MaskingRule, mask: Mask, finish: Finish) -> Callable[[Column], Column]:
    if rule is MaskingRule.SUPPRESS:
        suppressed = finish.value(None)
        return lambda values: [suppressed] * len(values)
    if rule is MaskingRule.ID_CARD:
        return lambda values: finish.column(mask_id_card_column(values))
    if rule is MaskingRule.CLEAR:  # (finishing a column at once costs half of looking its values up)
        return finish.column
    return _Remembered(mask, finish)


class ColumnMasker:
    """Masks batches given as columns (in the masker's `columns` order), each value then finished by `finish`;
    one per download, it remembers values from batch to batch."""

    def __init__(self, masker: Masker, finish: Finish = NOTHING) -> None:
        self.columns = masker.columns
        self._plans = [_plan(masker.rules[name].name, mask, finish)
                       for name, mask in zip(masker.columns, masker.masks, strict=True)]
        # What a flat batch needs done: a column in clear that nothing finishes is left where it lies.
        self._work = [(i, plan) for i, plan in enumerate(self._plans) if plan is not _same]

    def mask_columns(self, columns: Sequence[Column]) -> list[Column]:
        if len(columns) != len(self._plans):
            raise ValueError(f"batch has {len(columns)} columns, the masker {len(self._plans)}")
        return [plan(values) for plan, values in zip(self._plans, columns, strict=True)]

    def mask_flat(self, values: list[Any]) -> list[Any]:
        """A batch given as one list, row after row (`driversql.stream_flat`), masked in place and returned: each
        column (`values[i::width]`) masked as `mask_columns` masks it; a column in clear is not touched at all."""
        width = len(self._plans)
        if (len(values) % width) if width else values:
            raise ValueError(f"batch of {len(values)} values is not rows of the masker's {width} columns")
        for i, plan in self._work:
            values[i::width] = plan(values[i::width])
        return values
