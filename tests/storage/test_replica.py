"""Issue 18: reads that may lag go to a real PostgreSQL streaming replica, and fall back to the primary when it
lags or goes away.

The test starts its own primary cluster on loopback (initdb allows replication connections from 127.0.0.1),
restores the seeded demo template into it, makes a replica with `pg_basebackup -R` and starts it; as root the
clusters run as the `postgres` user. It runs in the PostgreSQL pass (the replica is PostgreSQL's)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.pgcluster import Cluster
from fastapi.testclient import TestClient

from govdata.app import create_app
from govdata.config import Settings
from govdata.storage.engines import database_for
from tests.conftest import PG_URL, _pg_url_for

pytestmark = pytest.mark.skipif(not PG_URL, reason="a PostgreSQL replica: runs in the PostgreSQL pass")
SEARCH = "/api/v1/open/datasets?per_page=50"


@pytest.fixture(scope="module")
def clusters(template: str) -> Iterator[Cluster]:
    found = Cluster()
    try:
        found.init("primary")
        found.start("primary")
        found.sql("primary", "CREATE DATABASE govdata", "postgres")
        dump = found.root / "template.dump"
        source = _pg_url_for(template).replace("postgresql+psycopg://", "postgresql://")
        subprocess.run([str(found.bin / "pg_dump"), "-Fc", "-f", str(dump), source],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([str(found.bin / "pg_restore"), "--no-owner", "-d", found.url("primary"), str(dump)],
                       check=True, capture_output=True, timeout=120)
        found.basebackup("primary", "replica")
        found.start("replica")
        yield found
    finally:
        found.remove()


def _client(clusters: Cluster, tmp_path: Path, max_lag: float) -> tuple[TestClient, object]:
    settings = Settings(home=tmp_path / "home", database_url=clusters.url("primary"), demo=True,
                        run_jobs_in_server=False, secret_key="test-secret",
                        database_replica_url=clusters.url("replica"), replica_max_lag_seconds=max_lag)
    database = database_for(settings)
    return TestClient(create_app(settings, database, migrate=False, run_jobs=False)), database


def _titles(client: TestClient) -> set[str]:
    answer = client.get(SEARCH)
    assert answer.status_code == 200, answer.text
    return {item["title"] for item in answer.json()["items"]}


def _wait_until(check: object, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the replica did not reach the expected state in time"
        time.sleep(0.2)


def test_reads_follow_the_replica_and_fall_back_when_it_lags_or_goes_away(clusters: Cluster, tmp_path: Path):
    dataset_id = clusters.sql("primary", "SELECT min(id) FROM open_datasets WHERE status = 'published'")
    assert dataset_id is not None, "the demo publishes open datasets"
    old = str(clusters.sql("primary", f"SELECT title FROM open_datasets WHERE id = {dataset_id}"))
    new = old + "（更新）"

    # One commit replayed first, so that the replica knows the time of its last replayed commit (until then it
    # cannot say how stale it is, and is set aside).
    clusters.sql("primary", f"UPDATE open_datasets SET title = title WHERE id = {dataset_id}")
    position = clusters.sql("primary", "SELECT pg_current_wal_lsn()")
    _wait_until(lambda: clusters.sql("replica",
                                     f"SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn", "postgres"))

    # The replica stops replaying; the primary changes a title. A reader that accepts an hour of lag still
    # sees the replica's answer: the list really comes from the replica.
    clusters.sql("replica", "SELECT pg_wal_replay_pause()")
    clusters.sql("primary", f"UPDATE open_datasets SET title = '{new}' WHERE id = {dataset_id}")
    patient, patient_db = _client(clusters, tmp_path / "a", max_lag=3600)
    with patient:
        assert old in _titles(patient) and new not in _titles(patient)
        assert patient_db.replica.state.usable  # type: ignore[attr-defined]

    # A reader that accepts no lag sets the replica aside while it is behind, and reads the primary.
    strict, strict_db = _client(clusters, tmp_path / "b", max_lag=0)
    with strict:
        assert new in _titles(strict)
        assert not strict_db.replica.state.usable  # type: ignore[attr-defined]
        assert "lagging" in strict_db.replica.state.reason  # type: ignore[attr-defined]

        # Replay resumes: the replica catches up and answers again, with the new title.
        clusters.sql("replica", "SELECT pg_wal_replay_resume()")
        _wait_until(lambda: new in _titles(strict) and strict_db.replica.state.usable)  # type: ignore[attr-defined]

        # The replica goes away (it crashes): the very next reads are answered by the primary, none fails.
        clusters.stop("replica")
        for _ in range(5):
            assert new in _titles(strict)
        assert not strict_db.replica.state.usable  # type: ignore[attr-defined]
        assert strict.get("/catalog").status_code in (200, 303)  # a page on the replica's read path, too

        # It comes back: after its next check the replica answers again.
        clusters.start("replica")
        _wait_until(lambda: bool(_titles(strict)) and strict_db.replica.state.usable)  # type: ignore[attr-defined]
    patient_db.dispose()  # type: ignore[attr-defined]
    strict_db.dispose()  # type: ignore[attr-defined]


def test_writes_and_downloads_work_with_a_replica(clusters: Cluster, tmp_path: Path):
    client, database = _client(clusters, tmp_path, max_lag=5)
    with client:
        dataset_id = clusters.sql("primary", "SELECT min(id) FROM open_datasets "
                                                         "WHERE status = 'published' AND open_type = 'public'")
        answer = client.get(f"/api/v1/open/datasets/{dataset_id}/data.csv")
        assert answer.status_code == 200, answer.text
        assert answer.content.startswith(b"\xef\xbb\xbf") and answer.content.count(b"\n") >= 2
        # The download was recorded on the primary (a write), with its audit event.
        assert clusters.sql("primary",
                            f"SELECT download_count FROM open_datasets WHERE id = {dataset_id}") >= 1  # type: ignore[operator]
    database.dispose()  # type: ignore[attr-defined]
