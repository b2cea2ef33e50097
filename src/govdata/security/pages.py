"""The security domain's pages, gathered from its subjects."""

from __future__ import annotations

from fastapi import APIRouter

from govdata.security import logpush_pages

router = APIRouter()
router.include_router(logpush_pages.router)
