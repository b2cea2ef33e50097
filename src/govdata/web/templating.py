"""Jinja2 templates shared by every domain; pages render through `render`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import OperationalError

from govdata import hooks, policy
from govdata.actor import role_label
from govdata.catalog.labels import field_list
from govdata.timeutil import fmt, to_local
from govdata.web.forms import posted, posted_all
from govdata.web.nav import NavItem, badge_counts, current_href, nav_for

TEMPLATE_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.globals["fmt_time"] = fmt
templates.env.globals["to_local"] = to_local
templates.env.globals["field_list"] = field_list
templates.env.globals["role_label"] = role_label
templates.env.filters["dt"] = fmt
templates.env.globals["posted"] = posted
templates.env.globals["posted_all"] = posted_all


def _can(actor: Any, action: str, target: Any = None) -> bool:
    """Which buttons a page shows is the policy's answer, never a role read in the template."""
    return actor is not None and bool(policy.can(actor, policy.Action(action), target))


def _may(actor: Any, action: str) -> bool:
    """Whether `actor`'s role may attempt `action` at all (a button whose object is decided when it is used)."""
    return actor is not None and bool(policy.role_allows(actor, policy.Action(action)))


templates.env.globals["can"] = _can
templates.env.globals["may"] = _may


def add_template_dir(path: Path) -> None:
    """Domains may keep their own templates beside their code."""
    loader = templates.env.loader
    searchpath = getattr(loader, "searchpath", None)
    if searchpath is not None and str(path) not in searchpath:
        searchpath.append(str(path))


def header_counts(request: Request, nav: list[NavItem]) -> tuple[int, dict[str, int]]:
    """The header's unread notices and the waiting work beside each navigation item: one read session, two
    statements, only on rendered pages (never on API paths)."""
    actor = getattr(request.state, "actor", None)
    if actor is None or actor.kind != "user" or actor.id is None:
        return 0, {}
    from govdata.notifications.service import unread_count as count  # the web layer sits above domains

    with request.app.state.database.read() as db:
        return count(db, user_id=actor.id, informational=True), badge_counts(db, actor, nav)


def page_banners(request: Request) -> list[str]:
    """Lines every page shows at its top while they hold (a platform-wide emergency switch): the domains'
    `hooks.register_banner`, read on every rendered page, signed in or not (one keyed read when nothing holds)."""
    hooks.load_plugins()
    if not hooks.BANNERS:
        return []
    with request.app.state.database.read() as db:
        return hooks.banners(db)


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    actor = getattr(request.state, "actor", None)
    nav = nav_for(actor)
    try:
        unread, waiting = header_counts(request, nav)
        banners = page_banners(request)
    except OperationalError:  # the database is gone: the page (often the page saying so) still renders
        unread, waiting, banners = 0, {}, []
    base = {
        "actor": actor,
        "nav": nav,
        "nav_current": current_href(nav, request.url.path),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "user_display": getattr(request.state, "user_display", actor.name if actor else ""),
        "unread": unread,
        "nav_counts": waiting,
        "path": request.url.path,
        "flash": request.query_params.get("msg"),
        "banners": banners,
    }
    base.update(context or {})
    return templates.TemplateResponse(request, template, base, status_code=status_code)
