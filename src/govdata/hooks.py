"""Extension points between domains, so that a lower domain never imports a higher one.

The datastore (lower) checks every incoming row with the validators that higher domains (quality)
register here, and tells them when a batch has been loaded; a domain hands the app factory its ASGI
middleware and its shutdown steps here, so that `app.py` names no domain. Built-in implementations
register the same way any other would: in their domain's `plugin.py`, loaded by `load_plugins()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Protocol, runtime_checkable

from sqlalchemy.orm import Session
from starlette.datastructures import State
from starlette.types import ASGIApp

from govdata.hooks_halts import (  # noqa: F401 (re-exported: the emergency switches' hooks)
    HaltsLoader,
    HaltsReader,
    HaltsVersion,
    halts_in,
    halts_now,
    halts_version_columns,
    register_halts,
)
from govdata.plugins import load_plugins

log = logging.getLogger("govdata.hooks")


class RowValidator(Protocol):
    def __call__(self, row: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Problems found in one row as (field name, Chinese message); empty when the row is good."""
        ...


@runtime_checkable
class BlockValidator(Protocol):
    """A row validator that can also check a block of rows column by column (the ingest hot path)."""

    def __call__(self, row: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Problems found in one row, as `RowValidator`."""
        ...

    def check_columns(self, columns: Mapping[str, Sequence[Any]], size: int) -> dict[int, tuple[str, str]]:
        """The first problem of each bad row of a block (row position → (field, message)), the one `__call__`
        would name first for that row; `columns[name]` holds the block's values of one field."""
        ...


@dataclass(frozen=True)
class BatchSummary:
    """What the loader knows of the live rows a batch left stamped with its id, so that listeners need not
    read them back: how many, the non-empty values per field, whether every one passed
    `validators_for(db, entry)` as it came in, and when the batch last changed a row (None: it changed
    none, it only confirmed rows as they were)."""

    rows: int
    filled: Mapping[str, int]
    validated: bool
    changed_at: datetime | None


class RejectScrubber(Protocol):
    def __call__(self, raw: Mapping[str, Any]) -> dict[str, Any] | None:
        """A refused row's values as they may be kept with its batch (None: as they came). Called for refused rows
        only, never on the good rows' path."""
        ...


class BatchListener(Protocol):
    def __call__(self, db: Session, *, entry: Any, batch_id: int, rejected: int, loaded: int,
                 summary: BatchSummary | None = None) -> None:
        """Called inside the batch's transaction after its rows were written (`summary`: see BatchSummary)."""
        ...


class EntryChangeListener(Protocol):
    def __call__(self, db: Session, *, entry: Any, version: int, diff: Mapping[str, Any]) -> None:
        """Called inside the transaction that registers a new version of a catalog entry (version 1 = first)."""
        ...


@dataclass(frozen=True)
class Granted:
    """What `actor`'s active grants give of an entry: the fields, and of those the ones given in clear."""

    fields: frozenset[str] = frozenset()
    clear: frozenset[str] = frozenset()

    def __or__(self, other: Granted) -> Granted:
        return Granted(self.fields | other.fields, self.clear | other.clear)


class GrantedFields(Protocol):
    def __call__(self, db: Session, actor: Any, *, entry: Any) -> Granted:
        """What `actor`'s active grants give of `entry` (a system: its own; a person: their unit's)."""
        ...


class VendorScopeLoader(Protocol):
    def __call__(self, db: Session, actor: Any) -> Any:
        """The `VendorScope` of a vendor's valid confidentiality agreements (第二十九条), or None."""
        ...


class OpenAccessLoader(Protocol):
    def __call__(self, db: Session, actor: Any) -> Any:
        """The `OpenAccess` of a public account's authorisations in force today (第十八条), or None."""
        ...


class ExportGate(Protocol):
    def __call__(self, db: Session, actor: Any, *, entry: Any, kind: str, target_id: int) -> None:
        """Raise when `actor` may not yet take this file of `entry`'s values (an L4 export awaiting a second
        person's approval, 第二十一条); return to let it be made. Called inside the export's transaction."""
        ...


class UploadScreen(Protocol):
    def __call__(self, entry: Any, stream: BinaryIO, *, xlsx_limit: int) -> None:
        """Raise (a 4xx naming the field `file`) when an uploaded file must not be kept at all, before any of it is
        stored or shown (a classification marking, 第二十三条); `stream` is the whole upload, seekable."""
        ...


class ErrorShape(Protocol):
    def __call__(self, status: int, code: str, message: str, field: str | None) -> tuple[int, dict[str, Any]]:
        """The status and JSON body an error takes under this shape's paths (a foreign API's own envelope)."""
        ...


class Middleware(Protocol):
    def __call__(self, app: ASGIApp) -> ASGIApp:
        """Wrap the app (an ASGI middleware class is one); it sees each request before routing, inside the
        platform's own limits and headers."""
        ...


class ShutdownStep(Protocol):
    async def __call__(self, state: State) -> None:
        """Release what the domain keeps on the app's state (`app.state`), on the serving event loop at
        shutdown, before the storage's own pools are closed."""
        ...


class Banner(Protocol):
    def __call__(self, db: Session) -> list[str]:
        """Lines (Chinese) every page shows at its top while they hold, e.g. a platform-wide emergency switch."""
        ...


ValidatorFactory = Callable[[Session, Any], RowValidator | None]
GRANTED_FIELDS: list[GrantedFields] = []
VENDOR_SCOPES: list[VendorScopeLoader] = []
OPEN_ACCESS: list[OpenAccessLoader] = []
ENTRY_CHANGE_LISTENERS: list[EntryChangeListener] = []
EXPORT_GATES: list[ExportGate] = []
REJECT_SCRUBBERS: list[RejectScrubber] = []
UPLOAD_SCREENS: list[UploadScreen] = []

VALIDATOR_FACTORIES: list[ValidatorFactory] = []
BATCH_LISTENERS: list[BatchListener] = []
MIDDLEWARE: list[Middleware] = []
ERROR_SHAPES: dict[str, ErrorShape] = {}
SHUTDOWN_STEPS: list[ShutdownStep] = []
BANNERS: list[Banner] = []


def register_validator_factory(factory: ValidatorFactory) -> ValidatorFactory:
    """`factory(db, entry)` returns a validator for that entry's rows, or None when it has no rules."""
    VALIDATOR_FACTORIES.append(factory)
    return factory


def register_reject_scrubber(scrubber: RejectScrubber) -> RejectScrubber:
    """Security keeps no classified value of a refused row (第二十三条)."""
    REJECT_SCRUBBERS.append(scrubber)
    return scrubber


def scrub_reject(raw: dict[str, Any]) -> dict[str, Any]:
    """A refused row's values as every registered scrubber lets them be kept."""
    load_plugins()
    for scrubber in REJECT_SCRUBBERS:
        raw = scrubber(raw) or raw
    return raw


def register_batch_listener(listener: BatchListener) -> BatchListener:
    BATCH_LISTENERS.append(listener)
    return listener


def register_entry_change_listener(listener: EntryChangeListener) -> EntryChangeListener:
    """Datastore migrates the entry's table; sharing tells grant holders (第八条)."""
    ENTRY_CHANGE_LISTENERS.append(listener)
    return listener


def entry_changed(db: Session, *, entry: Any, version: int, diff: Mapping[str, Any]) -> None:
    load_plugins()
    for listener in ENTRY_CHANGE_LISTENERS:
        listener(db, entry=entry, version=version, diff=diff)


def register_granted_fields(loader: GrantedFields) -> GrantedFields:
    """Sharing says which fields of an entry someone outside the owning unit may use (its active grants)."""
    GRANTED_FIELDS.append(loader)
    return loader


def granted_fields(db: Session, actor: Any, *, entry: Any) -> Granted:
    """What every registered source grants `actor` of `entry` (nothing: no grant). The catalog's metadata is
    city-wide; a unit's data values are not. Policy decides with this fact; it never reads it."""
    load_plugins()
    found = Granted()
    for loader in GRANTED_FIELDS:
        found = found | loader(db, actor, entry=entry)
    return found


def register_vendor_scope(loader: VendorScopeLoader) -> VendorScopeLoader:
    VENDOR_SCOPES.append(loader)
    return loader


def vendor_scope(db: Session, actor: Any) -> Any:
    """A vendor's scope from the registered loader (None when nothing is registered: a vendor may do nothing)."""
    load_plugins()
    for loader in VENDOR_SCOPES:
        scope = loader(db, actor)
        if scope is not None:
            return scope
    return None


def register_open_access(loader: OpenAccessLoader) -> OpenAccessLoader:
    OPEN_ACCESS.append(loader)
    return loader


def open_access(db: Session, actor: Any) -> Any:
    """A public account's authorisations from the registered loader (None: none, it reads no 授权开放 data)."""
    load_plugins()
    for loader in OPEN_ACCESS:
        found = loader(db, actor)
        if found is not None:
            return found
    return None


def register_export_gate(gate: ExportGate) -> ExportGate:
    """Security holds exports of L4 values until a second person approved them."""
    EXPORT_GATES.append(gate)
    return gate


def check_export(db: Session, actor: Any, *, entry: Any, kind: str, target_id: int) -> None:
    """Every file that hands over an entry's values asks here before it is made (no gate: it may)."""
    load_plugins()
    for gate in EXPORT_GATES:
        gate(db, actor, entry=entry, kind=kind, target_id=target_id)


def register_upload_screen(screen: UploadScreen) -> UploadScreen:
    """Security refuses a file carrying a classification marking before it reaches the upload folder."""
    UPLOAD_SCREENS.append(screen)
    return screen


def screen_upload(entry: Any, stream: BinaryIO, *, xlsx_limit: int) -> None:
    """Every registered screen looks at the upload (from its start; left at its start again)."""
    load_plugins()
    for screen in UPLOAD_SCREENS:
        stream.seek(0)
        screen(entry, stream, xlsx_limit=xlsx_limit)
    stream.seek(0)


def register_middleware(middleware: Middleware) -> Middleware:
    """Sharing's lookup gateway answers its hot route before routing."""
    MIDDLEWARE.append(middleware)
    return middleware


def middleware() -> list[Middleware]:
    """Every domain's middleware, in domain order (the app adds them so that the first is outermost)."""
    load_plugins()
    return list(MIDDLEWARE)


def register_error_shape(*prefixes: str) -> Callable[[ErrorShape], ErrorShape]:
    """Open data's CKAN Action API answers errors in CKAN's envelope under its own paths."""
    def register(shape: ErrorShape) -> ErrorShape:
        for prefix in prefixes:
            ERROR_SHAPES[prefix] = shape
        return shape
    return register


def error_shape(path: str) -> ErrorShape | None:
    """The shape registered for the longest prefix of `path`, or None (the platform's own)."""
    load_plugins()
    found = [p for p in ERROR_SHAPES if path.startswith(p)]
    return ERROR_SHAPES[max(found, key=len)] if found else None


def register_shutdown(step: ShutdownStep) -> ShutdownStep:
    """Sharing's group committer is closed at shutdown."""
    SHUTDOWN_STEPS.append(step)
    return step


async def shutdown(state: State) -> None:
    """Run every domain's shutdown step, in reverse domain order; one that fails is logged, and the others
    still run (the process is stopping either way)."""
    load_plugins()
    for step in reversed(SHUTDOWN_STEPS):
        try:
            await step(state)
        except Exception:
            log.exception("shutdown step %s failed", getattr(step, "__qualname__", step))


def register_banner(banner: Banner) -> Banner:
    """A line every page shows while it holds (the base template renders `banners`)."""
    BANNERS.append(banner)
    return banner


def banners(db: Session) -> list[str]:
    load_plugins()
    return [line for banner in BANNERS for line in banner(db)]


def validators_for(db: Session, entry: Any) -> list[RowValidator]:
    load_plugins()
    found = (factory(db, entry) for factory in VALIDATOR_FACTORIES)
    return [v for v in found if v is not None]


def batch_loaded(db: Session, *, entry: Any, batch_id: int, rejected: int, loaded: int,
                 summary: BatchSummary | None = None) -> None:
    load_plugins()
    for listener in BATCH_LISTENERS:
        listener(db, entry=entry, batch_id=batch_id, rejected=rejected, loaded=loaded, summary=summary)
