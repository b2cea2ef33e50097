"""The security domain's JSON routes, gathered from its subjects."""

from __future__ import annotations

from fastapi import APIRouter

from govdata.security import grading_api, incident_api, logpush_api, switch_api

router = APIRouter()
router.include_router(grading_api.router)
router.include_router(incident_api.router)
router.include_router(logpush_api.router)
router.include_router(switch_api.router)
