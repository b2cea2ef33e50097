"""The security domain's JSON routes, gathered from its subjects."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
from govdata.security import switch_api  # noqa: E402

router.include_router(switch_api.router)
