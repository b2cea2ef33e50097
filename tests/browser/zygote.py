"""A warm parent for the browser tests' servers: imports the app's modules once per test worker, then forks one
uvicorn server per test from there (`live_server` in this folder's conftest).

A fresh interpreter spends seconds importing FastAPI, SQLAlchemy and every domain before it answers; a fork of
this process starts with all of that done and answers in a fraction of the time, while each server is still a
process of its own, on its own port and database, with its own environment, as `uvicorn govdata.asgi:app` is.

Nothing here builds an app, reads settings or opens a database: `govdata.asgi` is imported in the child, after
its environment is set. Protocol, a JSON object a line each way: {"start": {"env", "cwd", "log", "port"}} →
{"pid"}; {"poll": pid} → {"code"} (null while it runs); {"stop": pid} → {"code"} once it has ended (SIGTERM, then
SIGKILL after ten seconds). The servers are this process's children, waited for here, so a pid is never reused
while a test may still signal it. Started as a script, not from the test process, so no test's state (password
costs, keys, the clock) is inherited.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from typing import Any

PARTS = ("models", "api", "pages", "plugin", "jobs", "demo")


def _warm() -> None:
    import uvicorn  # noqa: F401

    import govdata.app  # noqa: F401
    from govdata.domains import domain_modules
    from govdata.web import shell  # noqa: F401

    for part in PARTS:
        domain_modules(part)


def _serve(request: dict[str, Any]) -> None:
    """In the forked child: become the server the request describes (does not return)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a Ctrl-C of the test run stops the servers, as before
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    import uvicorn

    uvicorn.run("govdata.asgi:app", host="127.0.0.1", port=int(request["port"]), log_level="warning")


def _fork(request: dict[str, Any]) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _serve(request)
        except BaseException:  # told in the server's log, which the test shows when it fails
            traceback.print_exc()
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    return pid


def _code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


def _poll(pid: int) -> int | None:
    done, status = os.waitpid(pid, os.WNOHANG)
    return _code(status) if done else None


def _stop(pid: int) -> int:
    code = _poll(pid)
    if code is not None:
        return code
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        code = _poll(pid)
        if code is not None:
            return code
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    return _code(os.waitpid(pid, 0)[1])


def main() -> None:
    # Ctrl-C reaches this process too (one process group): it stays to stop the servers in the tests' teardown,
    # and ends when the test process closes its stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _warm()
    for line in sys.stdin:
        request = json.loads(line)
        if "start" in request:
            answer: dict[str, Any] = {"pid": _fork(request["start"])}
        elif "poll" in request:
            answer = {"code": _poll(int(request["poll"]))}
        else:
            answer = {"code": _stop(int(request["stop"]))}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
