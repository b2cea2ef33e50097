"""The security domain's pages, gathered from its subjects."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
from govdata.security import grading_pages  # noqa: E402

router.include_router(grading_pages.router)
