"""The security domain's pages, gathered from its subjects."""

from __future__ import annotations

from fastapi import APIRouter

from govdata.security import dashboard_pages, exercise_pages, grading_pages, incident_pages, logpush_pages, switch_pages

router = APIRouter()
router.include_router(dashboard_pages.router)
router.include_router(exercise_pages.router)
router.include_router(grading_pages.router)
router.include_router(incident_pages.router)
router.include_router(logpush_pages.router)
router.include_router(switch_pages.router)
