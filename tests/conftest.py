"""Test fixtures: a real database per test (a copy of a migrated, demo-seeded template), the real app.

SQLite by default; when GOVDATA_DATABASE_URL points at PostgreSQL, each test gets a fresh database
created from a template database on that server, and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import shutil
import threading
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url

from govdata import clock
from govdata.app import create_app
from govdata.audit.models import AuditEvent
from govdata.auth import passwords, totp
from govdata.auth.demo import DEMO_TOTP_SECRET
from govdata.auth.models import User
from govdata.config import Settings
from govdata.masking.exits import use_key
from govdata.storage.engines import Database, normalize_url, open_database
from govdata.storage.migrate import upgrade

# Real argon2id, at a test's cost: every demo person's hash (made once per worker, in the demo template) then
# verifies in under a millisecond instead of 150 ms, on each of the suite's thousands of sign-ins.
passwords.use_cost(memory_kib=1024, passes=1, lanes=1)
PG_URL = os.environ.get("GOVDATA_DATABASE_URL")
# Walks whose outcome no database can change (a role refused before anything is read; the words on every page;
# which objects each route asks the policy about): run once, on SQLite, so that CI's two passes stay within their
# twenty minutes. (Ids out of range, test_bad_ids.py, stay on both: PostgreSQL's INTEGER ends at 2^31.)
SQLITE_ONLY = {"test_route_matrix.py", "test_pages_read_as_words.py", "test_route_scope.py", "test_serving.py"}
# The other way round: ids out of range are refused by the app's own types before any query, and PostgreSQL is the
# stricter database (INTEGER ends at 2^31), so that walk runs on PostgreSQL alone (with no PostgreSQL: on SQLite).
POSTGRES_ONLY = {"test_bad_ids.py"}


# The longest files go first: `--dist loadfile` hands files to the workers in collection order, and one of these
# left for last (the phone walk of every page is over a minute) would keep one worker busy while the other idles.
LONGEST_FIRST = ["test_phone_layout.py", "test_route_scope.py", "test_bad_ids.py", "test_route_matrix.py",
                 "test_schemathesis.py", "test_replica.py", "test_pages_read_as_words.py", "test_catalog_journey.py",
                 "test_sharing_journey.py"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(Path(item.path).name, len(LONGEST_FIRST)))  # stable: the rest as collected
    if not PG_URL:
        if os.environ.get("GOVDATA_CI_POSTGRES_FOLLOWS"):  # .ci/run: the PostgreSQL pass walks them
            for item in items:
                if Path(item.path).name in POSTGRES_ONLY and Path(item.path).parent == Path(__file__).parent:
                    item.add_marker(pytest.mark.skip(reason="walked in the PostgreSQL pass; see POSTGRES_ONLY"))
        return
    for item in items:
        if Path(item.path).name in SQLITE_ONLY and Path(item.path).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.skip(reason="database-independent walk, run on SQLite; see SQLITE_ONLY"))
# GOVDATA_CLOCK=2026-12-05 runs the whole suite as if on that day (the browser tests' server inherits it).
clock.configure(os.environ.get("GOVDATA_CLOCK"))
use_key("test-secret")  # as the app factory does with the settings below (services called without an app)
DEMO_PASSWORD = "govdata-demo"
DEMO_TOTP_USERS = {"admin", "security"}  # enrolled by the demo with DEMO_TOTP_SECRET (auth/demo.py)
TEST_BASE_ROWS = 300


def _pg_admin_url() -> str:
    assert PG_URL
    return str(make_url(normalize_url(PG_URL)).set(database="postgres"))


def _pg_exec(sql: str) -> None:
    engine = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _pg_url_for(name: str) -> str:
    """A test database's URL. Its sessions commit without waiting for the WAL to reach the disk: a test never
    survives a crash of the server, and the wait was most of a PostgreSQL test's time (the replica test and the
    soak test start clusters of their own, with the server's defaults)."""
    assert PG_URL
    url = make_url(normalize_url(PG_URL)).set(database=name)
    url = url.update_query_dict({"options": "-csynchronous_commit=off"})  # no space: libpq reads "+" as itself
    return url.render_as_string(hide_password=False)


def _seed(database: Database, home: Path) -> None:
    from govdata.demo import seed

    settings = Settings(home=home, database_url=database.url, demo=True, run_jobs_in_server=False)
    upgrade(database)
    seed(database, settings, base_rows=TEST_BASE_ROWS)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    home = tmp_path_factory.mktemp("template-home")
    if PG_URL:
        base = make_url(normalize_url(PG_URL)).database or "govdata"
        # Unique per run: two test runs on one server (developers, CI) must not drop each other's template.
        name = f"{base}_tpl_{worker_id}_{uuid.uuid4().hex[:8]}"[:60]
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_exec(f'CREATE DATABASE "{name}"')
        database = open_database(_pg_url_for(name))
        _seed(database, home)
        database.dispose()
        yield name
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}"')
    else:
        path = home / "template.db"
        database = open_database(f"sqlite:///{path}")
        _seed(database, home)
        database.dispose()
        yield str(path)


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


class _Drops:
    """Drops the tests' PostgreSQL databases on a thread of its own, so that no test waits for its database to
    go: a DROP DATABASE waits for the server to write out and forget the database's files, which took longer
    than many tests themselves. At most DROPS_PENDING wait at a time (the disk they hold stays bounded)."""

    def __init__(self) -> None:
        self.names: queue.Queue[str | None] = queue.Queue(maxsize=DROPS_PENDING)
        self.failures: list[str] = []
        self.thread = threading.Thread(target=self._run, name="drop-test-databases", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        engine = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
        try:
            while (name := self.names.get()) is not None:
                try:
                    with engine.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                except Exception as exc:  # told at the end of the session; a test's outcome does not depend on it
                    self.failures.append(f"{name}: {exc}")
        finally:
            engine.dispose()

    def drop(self, name: str) -> None:
        self.names.put(name)

    def close(self) -> None:
        self.names.put(None)
        self.thread.join()


DROPS_PENDING = 8


@pytest.fixture(scope="session")
def pg_drops() -> Iterator[_Drops | None]:
    if not PG_URL:
        yield None
        return
    drops = _Drops()
    yield drops
    drops.close()
    if drops.failures:
        warnings.warn("test databases left behind:\n" + "\n".join(drops.failures), stacklevel=1)


@pytest.fixture
def database(template: str, tmp_path: Path, pg_drops: _Drops | None) -> Iterator[Database]:
    if PG_URL:
        assert pg_drops is not None
        name = f"{template[:40]}_t{uuid.uuid4().hex[:10]}"
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        db = open_database(_pg_url_for(name))
        yield db
        db.dispose()
        pg_drops.drop(name)
    else:
        path = tmp_path / "govdata.db"
        shutil.copyfile(template, path)
        db = open_database(f"sqlite:///{path}")
        yield db
        db.dispose()


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database.url, demo=True, run_jobs_in_server=False,
                    secret_key="test-secret")


@pytest.fixture
def app(settings: Settings, database: Database) -> Any:
    return create_app(settings, database, migrate=False, run_jobs=False)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client: TestClient, username: str, password: str = DEMO_PASSWORD, **form: str) -> Any:
    """Post the sign-in form as a browser does: with the CSRF token the form page gave (and its cookie)."""
    page = client.get("/login")
    match = CSRF_RE.search(page.text)
    assert match, "no CSRF token on the sign-in form"
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": match.group(1), **form})
    location = response.headers.get("location", "")
    if response.status_code == 303 and location.startswith("/login/totp") and username in DEMO_TOTP_USERS:
        response = second_factor(client, username, location)
    return response


def demo_totp_code(database: Database, username: str) -> str:
    """The demo authenticator's code now, after forgetting the last step `username` used: tests sign in as the
    same person many times within one 30-second step (a pinned clock stands still), which the replay check
    refuses, as it should for a person."""
    with database.write() as db:
        db.execute(update(User).where(User.username == username).values(totp_last_step=None))
    return totp.code_for(DEMO_TOTP_SECRET, totp.step_at(clock.now()))


def second_factor(client: TestClient, username: str, location: str) -> Any:
    """The sign-in's second step, as a browser does it, with the demo authenticator's code."""
    page = client.get(location)
    match = CSRF_RE.search(page.text)
    assert match, "no CSRF token on the second-factor form"
    next_path = re.search(r'name="next" value="([^"]*)"', page.text)
    code = demo_totp_code(client.app.state.database, username)  # type: ignore[attr-defined]
    return client.post("/login/totp", data={"code": code, "csrf_token": match.group(1),
                                            "next": next_path.group(1) if next_path else "/"})


class WebUser:
    """A signed-in browser session (cookie + CSRF token) on the in-process app."""

    def __init__(self, client: TestClient, username: str) -> None:
        self.client = client
        self.username = username
        response = sign_in(client, username, next="/")
        assert response.status_code == 303, response.text
        home = client.get("/", follow_redirects=True)  # a public account's home is the portal (/open)
        match = CSRF_RE.search(home.text)
        assert match, "no CSRF token on the home page"
        self.csrf = match.group(1)

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf)
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def web(app: Any) -> Any:
    """`web("steward_gaj")` → a separately signed-in browser for that demo account."""
    clients: list[TestClient] = []

    def sign_in(username: str) -> WebUser:
        c = TestClient(app, base_url="http://testserver", follow_redirects=False)
        clients.append(c)
        return WebUser(c, username)

    yield sign_in
    for c in clients:
        c.close()


@pytest.fixture
def token(client: TestClient) -> Any:
    """`token("bureau")` → headers with a bearer token from the password grant."""

    def issue(username: str) -> dict[str, str]:
        form = {"username": username, "password": DEMO_PASSWORD}
        if username in DEMO_TOTP_USERS:
            form["totp"] = demo_totp_code(client.app.state.database, username)  # type: ignore[attr-defined]
        response = client.post("/api/v1/auth/token", data=form)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return issue


def last_audit(database: Database, **where: Any) -> AuditEvent | None:
    with database.read() as db:
        query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return db.execute(query).scalar_one_or_none()


def run_async(coroutine: Any) -> Any:
    """Run a coroutine to its end on a fresh event loop in its own thread (a test earlier in the same worker,
    e.g. a browser test, may have left an event loop running in this one)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
