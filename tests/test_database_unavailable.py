"""A database that does not answer (restarting, failing over, cut off) gives 503 with Retry-After and a Chinese
message, as a page or as JSON, never a 500: nothing was done, and asking again shortly is the right answer.
(bench/soak.py crashes a real PostgreSQL under load; here nothing listens on the database's port.)"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from govdata.app import create_app
from govdata.config import Settings
from govdata.storage.engines import open_database

GONE = "postgresql://postgres@127.0.0.1:1/govdata"  # port 1: refused at once


def test_a_database_that_does_not_answer_is_a_503_not_a_500(tmp_path: Path):
    database = open_database(GONE)
    settings = Settings(home=tmp_path, database_url=GONE, run_jobs_in_server=False, secret_key="test-secret")
    app = create_app(settings, database, migrate=False, run_jobs=False)
    client = TestClient(app, raise_server_exceptions=False)  # not entered: its start-up would need the database
    api = client.get("/api/v1/open/datasets")
    assert api.status_code == 503 and api.headers["retry-after"] == "5"
    error = api.json()["error"]
    assert error["code"] == "database_unavailable" and "数据库暂时无法访问" in error["message"]
    page = client.get("/open", headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "数据库暂时无法访问" in page.text and "Traceback" not in page.text
    client.close()
    database.dispose()
