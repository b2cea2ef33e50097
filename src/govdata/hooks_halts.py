"""The emergency switches' extension point (第二十一条), re-exported by `govdata.hooks`.

Security registers how the switches in force are read: by a hot path's reader, in a session's transaction, and
(optionally) by a cheap version column a hot path adds to its own statement. Every exit reads them through here
before values leave, so that no lower domain imports security.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from govdata.plugins import load_plugins
from govdata.policy.facts import NO_HALTS, Halts


class HaltsReader(Protocol):
    async def __call__(self, reader: Any) -> Halts:
        """The emergency switches in force, as of this call (`reader`: the hot path's `storage.asyncread.Reader`)."""
        ...


class HaltsLoader(Protocol):
    def __call__(self, db: Session) -> Halts:
        """The emergency switches in force, read in `db`'s transaction."""
        ...


@dataclass(frozen=True)
class HaltsVersion:
    """A reader's cheap version of the switches, as a column a hot path adds to its own statement (one trip
    reads it in the same snapshot as the call's checks), and the switches in force at a version so read."""

    column: Any  # a labelled scalar subquery (Core)
    at: Callable[[Any, Any], Awaitable[Halts]]  # (the hot path's reader, the version read) -> the switches


HALTS_READERS: list[HaltsReader] = []
HALTS_LOADERS: list[HaltsLoader] = []
HALTS_VERSIONS: list[HaltsVersion | None] = []


def register_halts(reader: HaltsReader, loader: HaltsLoader, version: HaltsVersion | None = None) -> None:
    """Security's emergency switches (第二十一条): read by every exit before values leave."""
    HALTS_READERS.append(reader)
    HALTS_LOADERS.append(loader)
    HALTS_VERSIONS.append(version)


def halts_version_columns() -> tuple[Any, ...] | None:
    """The columns a hot path adds to its own statement to read the switches' versions with its checks;
    None when some reader has no version (the call then reads them by `halts_now(reader)`)."""
    load_plugins()
    return None if None in HALTS_VERSIONS else tuple(v.column for v in HALTS_VERSIONS if v is not None)


async def halts_now(reader: Any, versions: Sequence[Any] | None = None) -> Halts:
    """The switches in force for one hot-path call (none registered: none in force); `versions`: read by
    the columns of `halts_version_columns`, in the call's own statement."""
    load_plugins()
    found: tuple[Any, ...] = ()
    for i, read in enumerate(HALTS_READERS):
        known = HALTS_VERSIONS[i] if versions is not None and len(versions) == len(HALTS_READERS) else None
        found += (await (read(reader) if known is None else known.at(reader, versions[i]))).items  # type: ignore[index]
    return Halts(found) if found else NO_HALTS


def halts_in(db: Session) -> Halts:
    """The switches in force, read in `db`'s transaction (an exit that runs in a session)."""
    load_plugins()
    found: tuple[Any, ...] = ()
    for load in HALTS_LOADERS:
        found += load(db).items
    return Halts(found) if found else NO_HALTS
