"""The security dashboard's panels: each subject (backups, log push, switches, incidents, sign-in) registers a
function that says, for the person looking, what stands and what needs attention; the dashboard page shows them
in registration order. A maker returns None when it has nothing for that person."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from govdata.actor import Actor

Level = Literal["ok", "warn", "bad"]


@dataclass(frozen=True)
class Panel:
    title: str  # 最近一次备份
    level: Level  # ok: nothing to do; warn: due soon; bad: overdue, failed or switched off
    lines: list[tuple[str, str]] = field(default_factory=list)  # (label, value) pairs, in Chinese
    href: str | None = None  # where the details are


PanelMaker = Callable[[Session, Actor], Panel | None]
PANELS: list[PanelMaker] = []


def register_panel(maker: PanelMaker) -> PanelMaker:
    PANELS.append(maker)
    return maker


def panels(db: Session, actor: Actor) -> list[Panel]:
    return [panel for maker in PANELS if (panel := maker(db, actor)) is not None]
