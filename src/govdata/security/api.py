"""The security domain's JSON routes, gathered from its subjects."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
