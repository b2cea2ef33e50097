"""Masking a batch of rows column by column, for streamed downloads of any size: the same rules and the same
outputs as `Masker.mask_tuple` row by row (tests/opendata/test_fast_download.py holds them to it), at a fraction
of the cost.

A column in clear is handed on as it came; a suppressed one is a column of None; 身份证号 take their own fast
path (`identifiers.mask_id_card_column`). Every other rule is a pure function of the value, and their values
repeat (names, addresses, phone numbers, dates): each distinct value is masked once per download and remembered,
up to `MEMO_MAX` values per column. A column whose values hardly repeat stops being remembered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def _same(values: Column) -> Column:
    return values


def _none(values: Column) -> Column:
    return [None] * len(values)


class _Remembered:
    """One rule over a column, each distinct value masked once. Texts are remembered by themselves, other values
    by their type and value (1, 1.0 and True are equal keys, but a rule may mask them differently)."""

    __slots__ = ("_mask", "_memo", "_new", "_seen")

    def __init__(self, mask: Mask) -> None:
        self._mask = mask
        self._memo: dict[Any, Any] | None = {None: mask(None)}
        self._seen = self._new = 0

    def __call__(self, values: Column) -> Column:
        memo = self._memo
        if memo is None:
            return list(map(self._mask, values))
        try:
            try:
                return list(map(memo.__getitem__, values))  # every value seen before (the usual batch, warm)
            except KeyError:
                return self._fill(memo, values)
        except TypeError:  # a value that cannot be remembered (not hashable)
            return list(map(self._mask, values))

    def _fill(self, memo: dict[Any, Any], values: Column) -> list[Any]:
        if len(memo) > MEMO_MAX:
            memo.clear()
            memo[None] = self._mask(None)
        mask, get, out, new = self._mask, memo.get, [], 0
        for v in values:
            key = v if v.__class__ is str else (v.__class__, v)
            found = get(key, _MISSING)
            if found is _MISSING:
                found = memo[key] = mask(v)
                new += 1
            out.append(found)
        self._seen += len(values)
        self._new += new
        if self._seen >= TRIAL and self._new > MOSTLY_NEW * self._seen:
            self._memo = None
        return out


def _plan(rule: MaskingRule, mask: Mask) -> Callable[[Column], Column]:
    if rule is MaskingRule.CLEAR:
        return _same
    if rule is MaskingRule.SUPPRESS:
        return _none
    if rule is MaskingRule.ID_CARD:
        return mask_id_card_column
    return _Remembered(mask)


class ColumnMasker:
    """Masks batches given as columns (in the masker's `columns` order); one per download, it remembers values
    from batch to batch."""

    def __init__(self, masker: Masker) -> None:
        self.columns = masker.columns
        self._plans = [_plan(masker.rules[name].name, mask)
                       for name, mask in zip(masker.columns, masker.masks, strict=True)]

    def mask_columns(self, columns: Sequence[Column]) -> list[Column]:
        if len(columns) != len(self._plans):
            raise ValueError(f"batch has {len(columns)} columns, the masker {len(self._plans)}")
        return [plan(values) for plan, values in zip(self._plans, columns, strict=True)]
