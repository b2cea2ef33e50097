"""Form pages: turn a posted form into a pydantic model, or a Chinese message naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from govdata.errors import GovdataError

M = TypeVar("M", bound=BaseModel)


@dataclass
class FormError:
    message: str
    field: str | None
    status: int = 422


def parse(model: type[M], data: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> M | FormError:
    """Empty strings count as "not given" so optional fields stay None."""
    cleaned = {k: v for k, v in data.items() if v not in ("", None)}
    try:
        return model.model_validate(cleaned)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ())]
        field = loc[0] if loc else None
        label = (labels or {}).get(field or "", field or "表单")
        reason = str(first.get("msg", "")).removeprefix("Value error, ")
        return FormError(f"{label}填写有误：{reason}", field)


def from_error(exc: GovdataError) -> FormError:
    return FormError(exc.message, exc.field, exc.status)


async def form_dict(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}


async def form_lists(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out
