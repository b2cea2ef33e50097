"""Issue 18: reads that may lag go to a real PostgreSQL streaming replica, and fall back to the primary when it
lags or goes away.

The test starts its own primary cluster on loopback (initdb allows replication connections from 127.0.0.1),
restores the seeded demo template into it, makes a replica with `pg_basebackup -R` and starts it; as root the
clusters run as the `postgres` user. It runs in the PostgreSQL pass (the replica is PostgreSQL's)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from glob import glob
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from govdata.app import create_app
from govdata.config import Settings
from govdata.storage.engines import database_for
from tests.conftest import PG_URL, _pg_url_for

pytestmark = pytest.mark.skipif(not PG_URL, reason="a PostgreSQL replica: runs in the PostgreSQL pass")
SEARCH = "/api/v1/open/datasets?per_page=50"


def _bindir() -> Path:
    found = sorted(glob("/usr/lib/postgresql/*/bin/pg_basebackup"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_basebackup")
    assert which, "pg_basebackup is missing: the replica test needs PostgreSQL's server binaries"
    return Path(which).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Clusters:
    bindir: Path
    root: Path
    primary_port: int
    replica_port: int

    def run(self, *args: str) -> None:
        runas = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*runas, *args], check=True, capture_output=True, timeout=120)

    def pg_ctl(self, name: str, action: str, port: int | None = None) -> None:
        """Start, or stop at once as a crash would (`-m immediate`: nothing to keep, and no shutdown checkpoint
        to wait for)."""
        options = ["-o", f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1"] if port else []
        self.run(str(self.bindir / "pg_ctl"), "-D", str(self.root / name), "-w", "-t", "60", "-m", "immediate",
                 "-l", str(self.root / f"{name}.log"), *options, action)

    def url(self, port: int, database: str = "govdata") -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    def sql(self, port: int, statement: str, database: str = "govdata") -> object:
        engine = create_engine(self.url(port, database).replace("postgresql://", "postgresql+psycopg://"),
                               isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                result = conn.execute(text(statement))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def clusters(template: str) -> Iterator[Clusters]:
    # Under /tmp itself: pytest's own temporary folders are private to root, where `postgres` cannot go.
    root = Path(tempfile.mkdtemp(prefix="govdata-replica-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    found = Clusters(_bindir(), root, _free_port(), _free_port())
    found.run(str(found.bindir / "initdb"), "-D", str(root / "primary"), "-U", "postgres", "-A", "trust")
    found.pg_ctl("primary", "start", found.primary_port)
    try:
        found.sql(found.primary_port, "CREATE DATABASE govdata", "postgres")
        dump = root / "template.dump"
        source = _pg_url_for(template).replace("postgresql+psycopg://", "postgresql://")
        subprocess.run([str(found.bindir / "pg_dump"), "-Fc", "-f", str(dump), source],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([str(found.bindir / "pg_restore"), "--no-owner", "-d", found.url(found.primary_port), str(dump)],
                       check=True, capture_output=True, timeout=120)
        found.run(str(found.bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(found.primary_port), "-U",
                  "postgres", "-D", str(root / "replica"), "-R", "-X", "stream", "-c", "fast")
        found.pg_ctl("replica", "start", found.replica_port)
        yield found
    finally:
        for name in ("replica", "primary"):
            if (root / name / "postmaster.pid").exists():
                found.pg_ctl(name, "stop")
        shutil.rmtree(root, ignore_errors=True)


def _client(clusters: Clusters, tmp_path: Path, max_lag: float) -> tuple[TestClient, object]:
    settings = Settings(home=tmp_path / "home", database_url=clusters.url(clusters.primary_port), demo=True,
                        run_jobs_in_server=False, secret_key="test-secret",
                        database_replica_url=clusters.url(clusters.replica_port), replica_max_lag_seconds=max_lag)
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


def test_reads_follow_the_replica_and_fall_back_when_it_lags_or_goes_away(clusters: Clusters, tmp_path: Path):
    dataset_id = clusters.sql(clusters.primary_port, "SELECT min(id) FROM open_datasets WHERE status = 'published'")
    assert dataset_id is not None, "the demo publishes open datasets"
    old = str(clusters.sql(clusters.primary_port, f"SELECT title FROM open_datasets WHERE id = {dataset_id}"))
    new = old + "（更新）"

    # One commit replayed first, so that the replica knows the time of its last replayed commit (until then it
    # cannot say how stale it is, and is set aside).
    clusters.sql(clusters.primary_port, f"UPDATE open_datasets SET title = title WHERE id = {dataset_id}")
    position = clusters.sql(clusters.primary_port, "SELECT pg_current_wal_lsn()")
    _wait_until(lambda: clusters.sql(clusters.replica_port,
                                     f"SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn", "postgres"))

    # The replica stops replaying; the primary changes a title. A reader that accepts an hour of lag still
    # sees the replica's answer: the list really comes from the replica.
    clusters.sql(clusters.replica_port, "SELECT pg_wal_replay_pause()")
    clusters.sql(clusters.primary_port, f"UPDATE open_datasets SET title = '{new}' WHERE id = {dataset_id}")
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
        clusters.sql(clusters.replica_port, "SELECT pg_wal_replay_resume()")
        _wait_until(lambda: new in _titles(strict) and strict_db.replica.state.usable)  # type: ignore[attr-defined]

        # The replica goes away (it crashes): the very next reads are answered by the primary, none fails.
        clusters.pg_ctl("replica", "stop")
        for _ in range(5):
            assert new in _titles(strict)
        assert not strict_db.replica.state.usable  # type: ignore[attr-defined]
        assert strict.get("/catalog").status_code in (200, 303)  # a page on the replica's read path, too

        # It comes back: after its next check the replica answers again.
        clusters.pg_ctl("replica", "start", clusters.replica_port)
        _wait_until(lambda: bool(_titles(strict)) and strict_db.replica.state.usable)  # type: ignore[attr-defined]
    patient_db.dispose()  # type: ignore[attr-defined]
    strict_db.dispose()  # type: ignore[attr-defined]


def test_writes_and_downloads_work_with_a_replica(clusters: Clusters, tmp_path: Path):
    client, database = _client(clusters, tmp_path, max_lag=5)
    with client:
        dataset_id = clusters.sql(clusters.primary_port, "SELECT min(id) FROM open_datasets "
                                                         "WHERE status = 'published' AND open_type = 'public'")
        answer = client.get(f"/api/v1/open/datasets/{dataset_id}/data.csv")
        assert answer.status_code == 200, answer.text
        assert answer.content.startswith(b"\xef\xbb\xbf") and answer.content.count(b"\n") >= 2
        # The download was recorded on the primary (a write), with its audit event.
        assert clusters.sql(clusters.primary_port,
                            f"SELECT download_count FROM open_datasets WHERE id = {dataset_id}") >= 1  # type: ignore[operator]
    database.dispose()  # type: ignore[attr-defined]
