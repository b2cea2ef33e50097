"""Reading the emergency switches in force on every exit's call, cheaply, and what the app shows of them.

Every call reads one row by its primary key (`emergency_switch_version`); the switches themselves are read only
when that version moved since this process last read them (a set or a lift bumps it in its own transaction).
So a switch holds from the very next call in every process, and a call costs one indexed read when nothing
changed. Registered with `hooks` here: the hot path's reader, the session loader, the page banner, and the
security dashboard's panel.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from govdata import hooks, policy
from govdata.actor import Actor
from govdata.policy import Action, Halt, Halts
from govdata.security.dashboard import Level, Panel, register_panel
from govdata.security.switch_models import EmergencySwitch, SwitchVersion
from govdata.storage.asyncread import Reader, all_rows
from govdata.storage.driversql import Prepared
from govdata.timeutil import fmt

_versions: Table = SwitchVersion.__table__  # type: ignore[assignment]
_switches: Table = EmergencySwitch.__table__  # type: ignore[assignment]
_VERSION = select(_versions.c.version).where(_versions.c.id == 1)
_IN_FORCE = (select(_switches.c.id, _switches.c.kind, _switches.c.system_id, _switches.c.unit_id,
                    _switches.c.entry_id, _switches.c.object_name, _switches.c.reason)
             .where(_switches.c.lifted_at.is_(None)).order_by(_switches.c.id))
_VERSION_READ, _IN_FORCE_READ = Prepared(_VERSION), Prepared(_IN_FORCE)
_VERSION_COLUMN = _VERSION.scalar_subquery().label("switch_version")  # in the sharing lookup's one trip
_CACHE: dict[str, tuple[int, Halts]] = {}  # database URL -> (version, the switches in force at that version)
_LOCK = threading.Lock()


def _halts_of(rows: list[Any]) -> Halts:
    found = []
    for row in rows:
        object_id = {"system": row.system_id, "provider": row.unit_id, "consumer": row.unit_id,
                     "resource": row.entry_id}.get(row.kind)
        found.append(Halt(row.id, row.kind, object_id, row.object_name, row.reason))
    return Halts(tuple(found))


def _cached(url: str, version: int) -> Halts | None:
    known = _CACHE.get(url)
    return known[1] if known is not None and known[0] == version else None


def _keep(url: str, version: int, halts: Halts) -> Halts:
    # The list was read after the version: it is at least that new; a change in between bumps the version
    # again, so the next call reads afresh.
    with _LOCK:
        _CACHE[url] = (version, halts)
    return halts


async def read_halts(reader: Reader) -> Halts:
    """The hot path's read: the version by its key, the switches only when it moved."""
    rows = await all_rows(reader, _VERSION_READ, {})
    return await halts_at(reader, rows[0].version if rows else 0)


async def halts_at(reader: Reader, version: int | None) -> Halts:
    """The switches at a version the caller read (in its own statement, `_VERSION_COLUMN`): the list is read
    only when that version is not the one this process last read it at."""
    version = version or 0
    url = str(reader.database.url)
    halts = _cached(url, version)
    if halts is None:
        halts = _keep(url, version, _halts_of(await all_rows(reader, _IN_FORCE_READ, {})))
    return halts


def load_halts(db: Session) -> Halts:
    """The same, in a session's transaction (pages, comparisons, the banner)."""
    version = db.execute(_VERSION).scalar_one_or_none() or 0
    bind = db.get_bind()
    url = str(bind.engine.url)
    halts = _cached(url, version)
    if halts is None:
        halts = _keep(url, version, _halts_of(list(db.execute(_IN_FORCE))))
    return halts


hooks.register_halts(read_halts, load_halts, hooks.HaltsVersion(_VERSION_COLUMN, halts_at))


@hooks.register_banner
def platform_banner(db: Session) -> list[str]:
    """Every page says so while all sharing is stopped."""
    halt = load_halts(db).platform
    return [] if halt is None else [f"{policy.halt_message(halt)}。各单位接入系统的共享调用均被拒绝，解除后恢复。"]


@register_panel
def switches_panel(db: Session, actor: Actor) -> Panel | None:
    """The switches in force: bad while all sharing is stopped, warn while any other holds."""
    if not policy.role_allows(actor, Action.EMERGENCY_VIEW):
        return None
    rows = list(db.execute(select(EmergencySwitch).where(EmergencySwitch.lifted_at.is_(None))
                           .order_by(EmergencySwitch.id)).scalars())
    level: Level = "bad" if any(s.kind == "platform" for s in rows) else "warn" if rows else "ok"
    lines = [(f"{s.kind_label}：{s.object_name}", f"{s.reason}（{s.set_by}，{fmt(s.set_at)}）") for s in rows]
    return Panel("应急处置（暂停共享）", level, lines or [("生效中的暂停", "无")], href="/security/switches")
