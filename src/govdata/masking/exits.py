"""Masking at the exits: the one call every way values leave their unit makes before handing them over.

`view_for(db, actor, entry)` gives the `Masker` through which `actor` sees `entry`'s values: in clear for the
owning unit, masked by each field's rule for anyone else except the fields a grant gives in clear. Which fields
those are is the policy's answer (`policy.fields_in_clear`); what masking does to each field is the library's.
Comparison diffs, quality samples, correction views, vendor reads and sharing lookups all come through here, so
a new exit cannot forget a field the others mask.

The platform's secret keys the pseudonyms; the app factory and the command line hand it over once (`use_key`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.catalog.access import entry_use
from govdata.catalog.models import CatalogEntry
from govdata.masking.masker import Masker, Visibility, masker_for
from govdata.masking.rules import FieldLike


class EntryLike(Protocol):
    """What a masker is built from: a catalog entry, or a snapshot of one (`EntryFacts`)."""

    @property
    def id(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def fields(self) -> Sequence[FieldLike]: ...


@dataclass(frozen=True)
class FieldFacts:
    name: str
    data_type: str
    sensitivity: str
    security_level: str
    masking_rule: str


@dataclass(frozen=True)
class EntryFacts:
    """An entry's masking facts, kept by a fast path that caches them per entry version (no session held)."""

    id: int
    version: int
    fields: tuple[FieldFacts, ...]

    @classmethod
    def of(cls, entry: CatalogEntry) -> EntryFacts:
        return cls(entry.id, entry.version, tuple(FieldFacts(f.name, f.data_type, f.sensitivity, f.security_level,
                                                             f.masking_rule) for f in entry.fields))


_KEY: list[str] = []
_CACHE: dict[tuple[Any, ...], Masker] = {}
_CACHE_MAX = 2_000


def use_key(key: str) -> None:
    """The platform's secret (`Settings.key`), which keys pseudonyms; set at start, the same for every process."""
    if not _KEY or _KEY[0] != key:
        _KEY[:] = [key]
        _CACHE.clear()


def _key() -> str:
    if not _KEY:
        raise RuntimeError("masking.exits.use_key was never called: the app factory or the CLI sets it")
    return _KEY[0]


def masker_of(entry: EntryLike, clear: frozenset[str] | None, fields: Iterable[str] | None = None) -> Masker:
    """The masker of `entry`'s fields (or those named, in that order) with `clear` in clear (None: all), kept
    while the entry's version and the choice are the same."""
    names = tuple(fields) if fields is not None else tuple(f.name for f in entry.fields)
    cache_key = (entry.id, entry.version, clear, names, _key())
    found = _CACHE.get(cache_key)
    if found is None:
        by_name = {f.name: f for f in entry.fields}
        chosen = [by_name[n] for n in names if n in by_name]
        choices = {f.name: Visibility.CLEAR.value for f in chosen if clear is None or f.name in clear}
        found = masker_for(chosen, key=_key(), choices=choices)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[cache_key] = found
    return found


def view_for(db: Session, actor: Actor, entry: CatalogEntry, fields: Iterable[str] | None = None) -> Masker:
    """How `actor` sees `entry`'s values (all fields, or those named): the policy says which go in clear."""
    names = [f.name for f in entry.fields] if fields is None else list(fields)
    clear = policy.fields_in_clear(actor, entry_use(db, actor, entry, names))
    return masker_of(entry, clear, names)


def mask_record(masker: Masker, row: dict[str, Any]) -> dict[str, Any]:
    """A stored record (or one of its history rows) with its fields' values masked and its bookkeeping columns
    (`_batch`, `_updated_at` …, not values of any field) kept as they are."""
    if masker.is_clear:
        return row
    rules = masker.rules
    return {name: masker.mask_value(name, value) if name in rules else value if name.startswith("_") else None
            for name, value in row.items()}


def mask_key_text(masker: Masker, names: list[str], text: str | None, sep: str = "|") -> str:
    """A record key written as its key fields' values joined by `sep` (comparisons keep keys so), each part
    masked by its field's rule."""
    if not text:
        return ""
    parts = text.split(sep)
    if len(parts) != len(names):  # not the shape it should be: show none of it
        return "****"
    return sep.join(_text(masker.mask_value(name, part)) for name, part in zip(names, parts, strict=True))


def _text(value: Any) -> str:
    return "" if value is None else str(value)
