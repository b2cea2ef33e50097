"""The security domain's pages, gathered from its subjects."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
