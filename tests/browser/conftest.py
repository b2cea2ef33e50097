"""Browser tests: the real server (uvicorn in a process of its own on a free loopback port, a fresh database)
driven by Debian's chromium through Playwright (sync API). Each server is forked from a warm parent that has
imported the app once per worker (`zygote.py`), instead of a fresh interpreter importing it for every test.

One browser per test session (per xdist worker), a new context per test. A failing test leaves a screenshot
under `test-output/screenshots/`. Tests in this folder are marked `browser`; without /usr/bin/chromium they are
skipped, unless `CI` is set, where a missing browser is a failure (CI must really run them).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from govdata.storage.engines import Database
from tests.browser.helpers import SERVER_DATABASES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_SECONDS = 60.0
PAGE_TIMEOUT_MS = 15_000
HERE = Path(__file__).parent
ON_POSTGRES_TOO = {"test_sharing_journey.py", "test_upload_progress.py", "test_open_portal_journey.py"}
# Every page is walked at 390 px by test_phone_layout.py; of the journeys, these also run whole at phone size (the
# folded menu, the public portal, the newest journey); GOVDATA_ALL_PHONE_JOURNEYS=1 runs every journey's phone walk.
PHONE_JOURNEYS = {"test_open_portal_journey.py", "test_project_acceptance_journey.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Every test in this folder drives the browser, so mark them all here rather than file by file. On
    # PostgreSQL only the journeys whose pages take database-specific paths run again (a conditional share with its
    # working API call, a background upload's progress, the portal's search and masked download): the rest drive
    # the same pages over the same services, and CI must stay within its twenty minutes.
    on_postgres = bool(os.environ.get("GOVDATA_DATABASE_URL"))
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            if on_postgres and Path(item.path).name not in ON_POSTGRES_TOO:
                item.add_marker(pytest.mark.skip(reason="browser journey walked on SQLite; see ON_POSTGRES_TOO"))
            elif on_postgres and "[phone]" in item.name:  # the layout does not depend on the database
                item.add_marker(pytest.mark.skip(reason="phone-size walk of the journey runs on SQLite"))
            elif "[phone]" in item.name and Path(item.path).name not in PHONE_JOURNEYS and \
                    not os.environ.get("GOVDATA_ALL_PHONE_JOURNEYS"):
                item.add_marker(pytest.mark.skip(reason="every page is walked at 390 px by test_phone_layout.py; "
                                                        "see PHONE_JOURNEYS"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    # The page is still open here (fixture teardown comes later), so the screenshot shows the failure.
    page = getattr(item, "funcargs", {}).get("page")
    if report.failed and page is not None and not page.is_closed():
        folder = item.config.rootpath / "test-output" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", item.nodeid)[-150:] + f"-{report.when}.png"
        path = folder / name
        try:
            page.screenshot(path=str(path), full_page=True)
            report.sections.append(("screenshot", f"{path} (page {page.url})"))
        except Exception as exc:  # a crashed page must not hide the test's own failure
            report.sections.append(("screenshot", f"could not be taken: {exc}"))
    return report


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    home: Path
    database: Database
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Zygote:
    """The worker's warm parent of servers (`zygote.py` beside this file): forks a server in a fraction of the
    seconds a fresh interpreter needs to import the app."""

    def __init__(self, log: Path) -> None:
        with log.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, str(HERE / "zygote.py")], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=out, text=True)

    def ask(self, **request: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the server zygote ended (exit {self.process.poll()})"
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class Server:
    """One forked server, as the zygote sees it."""

    zygote: Zygote
    pid: int

    def poll(self) -> int | None:
        return self.zygote.ask(poll=self.pid)["code"]  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.zygote.ask(stop=self.pid)


def _start(zygote: Zygote, env: dict[str, str], log: Path, cwd: Path) -> tuple[Server, str]:
    port = _free_port()
    server = Server(zygote, zygote.ask(start={"env": env, "cwd": str(cwd), "log": str(log), "port": port})["pid"])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return server, ""  # exited: port taken by a racing process, or a real start-up error
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).json() == {"status": "ok"}:
                return server, url
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.05)
    server.stop()
    return server, ""


@pytest.fixture(scope="session")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    parent = Zygote(tmp_path_factory.mktemp("zygote") / "zygote.log")
    yield parent
    parent.close()


@pytest.fixture
def live_server(zygote: Zygote, database: Database, tmp_path: Path) -> Iterator[LiveServer]:
    """The real app in its own uvicorn process on a fresh copy of the demo database."""
    home = tmp_path / "server-home"
    home.mkdir()
    log = tmp_path / "server.log"
    env = dict(os.environ)
    env.update({
        "GOVDATA_HOME": str(home),
        "GOVDATA_DATABASE_URL": database.url,
        "GOVDATA_RUN_JOBS_IN_SERVER": "false",
        "GOVDATA_SECRET_KEY": "browser-test-secret",
        "GOVDATA_DEMO": "true",
    })
    server, url = None, ""
    for _attempt in range(3):  # a free port can be taken between our check and uvicorn's bind
        server, url = _start(zygote, env, log, tmp_path)
        if url:
            break
    if not url:
        pytest.fail(f"govdata server did not answer /healthz; its output:\n{log.read_text(errors='replace')[-4000:]}")
    assert server is not None
    SERVER_DATABASES[url.rstrip("/")] = database  # the sign-in helper's second factor
    try:
        yield LiveServer(url=url, home=home, database=database, log=log)
    finally:
        SERVER_DATABASES.pop(url.rstrip("/"), None)
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser profile (no cookies) pointed at the live server."""
    ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(PAGE_TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    tab = context.new_page()
    yield tab
    tab.close()
