"""Lists that can grow: one page at a time, sorted by a column people choose, narrowed by a filter text.

A list page declares a `TableSpec` (the columns it may be sorted by — an allow-list, anything else is ignored —
and the columns the filter text searches); `paged` reads `page`, `sort` and `q` from the query string, counts
the matching rows and loads one page with SQL LIMIT/OFFSET. Templates draw the filter box, sortable headers
and page links with the macros of `_table.html`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

PER_PAGE = 50
MAX_PAGE_NUMBER = 1_000_000
MAX_FILTER = 100
AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class TableSpec:
    """What a list may be sorted and filtered by. `sorts`: the key people see in links → the SQL column;
    `default`: the sort when none (or an unknown one) is asked, `-` in front for newest/largest first."""

    sorts: Mapping[str, Any]
    default: str
    filters: Sequence[Any] = ()
    per_page: int = PER_PAGE
    tiebreak: Sequence[Any] = ()  # appended to every order, so pages never overlap


@dataclass
class Table:
    """The state of one list on one request: which page, which sort, which filter, how many rows in all."""

    path: str
    page: int
    sort: str
    desc: bool
    q: str
    per_page: int
    total: int = 0
    keep: dict[str, str] = field(default_factory=dict)  # other query parameters (a page's own filters)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def sort_param(self) -> str:
        return ("-" if self.desc else "") + self.sort

    def url(self, **changes: Any) -> str:
        params = {**self.keep, "q": self.q, "sort": self.sort_param, "page": str(self.page)}
        params.update({k: str(v) for k, v in changes.items()})
        if params.get("page") == "1":
            del params["page"]
        return self.path + "?" + urlencode([(k, v) for k, v in params.items() if v])

    def sort_url(self, key: str) -> str:
        """The header link: sort by `key`, flipping the direction when it is already the sort; back to page 1."""
        flip = key == self.sort and not self.desc
        return self.url(sort=("-" if flip else "") + key, page=1)

    def arrow(self, key: str) -> str:
        return ("↓" if self.desc else "↑") if key == self.sort else ""

    def page_numbers(self) -> list[int | None]:
        """Page links to show: the first, the last and two either side of the current one; None is a gap."""
        wanted = {1, self.pages, *range(self.page - 2, self.page + 3)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def _number(text: str | None) -> int:
    try:
        value = int(text or "1")
    except ValueError:
        return 1
    return min(max(value, 1), MAX_PAGE_NUMBER)


def table_state(request: Request, spec: TableSpec, keep: Sequence[str] = ()) -> Table:
    """The page, sort and filter asked in the query string; an unknown sort falls back to the default."""
    params = request.query_params
    sort = params.get("sort", "") or spec.default
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in spec.sorts:
        desc = spec.default.startswith("-")
        key = spec.default.lstrip("-")
    q = " ".join(params.get("q", "").split())[:MAX_FILTER]
    kept = {k: params[k] for k in keep if params.get(k)}
    return Table(path=request.url.path, page=_number(params.get("page")), sort=key, desc=desc, q=q,
                 per_page=spec.per_page, keep=kept)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(query: AnySelect, spec: TableSpec, table: Table) -> AnySelect:
    if not table.q or not spec.filters:
        return query
    pattern = f"%{_escape_like(table.q)}%"
    return query.where(or_(*[func.lower(c).like(pattern.lower(), escape="\\") for c in spec.filters]))


def ordered(query: AnySelect, spec: TableSpec, table: Table) -> AnySelect:
    column: ColumnElement[Any] = spec.sorts[table.sort]
    order = [column.desc() if table.desc else column.asc()]
    order += [c.desc() if table.desc else c.asc() for c in spec.tiebreak]
    return query.order_by(None).order_by(*order)


def paged(db: Session, query: AnySelect, request: Request, spec: TableSpec, *, scalars: bool = True,
          keep: Sequence[str] = ()) -> tuple[list[Any], Table]:
    """One page of `query` (already narrowed to what the person may see) and the table state for the links.
    A page past the end shows the last page."""
    table = table_state(request, spec, keep)
    query = filtered(query, spec, table)
    table.total = int(db.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar() or 0)
    table.page = min(table.page, table.pages)
    result = db.execute(ordered(query, spec, table).limit(table.per_page).offset(table.offset))
    rows = list(result.scalars()) if scalars else list(result.all())
    return rows, table
