"""The security domain's JSON routes, gathered from its subjects."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
from govdata.security import grading_api  # noqa: E402

router.include_router(grading_api.router)
