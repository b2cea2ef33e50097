"""The app with low background-work thresholds, signed-in users on it, and waiting for an item to finish."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govdata.app import create_app
from govdata.config import Settings
from govdata.storage.engines import Database
from tests.conftest import WebUser

WAIT = 30.0


@pytest.fixture
def app_with(database: Database, tmp_path: Path) -> Callable[..., Any]:
    """`app_with(work_threshold_rows=50)` → the app with those settings on the test database."""
    def make(**settings: Any) -> Any:
        return create_app(Settings(home=tmp_path / "home", database_url=database.url, demo=True,
                                   run_jobs_in_server=False, secret_key="test-secret", **settings),
                          database, migrate=False, run_jobs=False)

    return make


def user(app: Any, username: str) -> WebUser:
    return WebUser(TestClient(app, base_url="http://testserver", follow_redirects=False), username)


def finished(person: WebUser, location: str) -> dict[str, Any]:
    """The item behind a `/work/{id}` location once it ended, as its progress endpoint answers."""
    work_id = location.split("?")[0].rsplit("/", 1)[1]
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        body = person.get(f"/api/v1/work/{work_id}").json()
        if body["finished"]:
            return body  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"work {work_id} never finished")
