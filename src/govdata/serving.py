"""`govdata serve --workers N`: N server processes, each with its own listening socket.

uvicorn's own `--workers` shares one listening socket among the processes, and whichever wakes first takes
the next connection. Keep-alive API clients open their connections once, so an early imbalance stays for
good: measured with 32 connections, one process got twice the calls of the other and its latency tail
with them while the other core idled. With SO_REUSEPORT every process listens on its own socket and the
kernel spreads new connections across them evenly. The parent only supervises: it restarts a process that
dies and stops them all on SIGTERM or SIGINT. Where SO_REUSEPORT is missing, uvicorn's way is used.

Metrics (`govdata.metrics`): before it starts the processes, the parent empties `<home>/metrics` and names it
in `PROMETHEUS_MULTIPROC_DIR`, which they inherit, so each keeps its counts in files there and a scrape of any
of them adds up all; a process that exits is marked dead there.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

import uvicorn

from govdata import metrics

log = logging.getLogger("govdata.serve")
APP = "govdata.asgi:app"
RESTART_PAUSE = 1.0  # seconds before a dead process is replaced
FAILED_START_LIMIT = 5  # processes that die within STARTUP_SECONDS in a row: give up (e.g. port in use)
STARTUP_SECONDS = 5.0


def serve(host: str, port: int, *, workers: int, access_log: bool, home: Path | None = None) -> None:
    if workers > 1 and home is not None:
        metrics.fresh_multiprocess_dir(home)
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        # uvicorn picks httptools and uvloop by itself when they are installed (they are dependencies).
        uvicorn.run(APP, host=host, port=port, workers=workers, log_level="info", proxy_headers=False,
                    access_log=access_log)
        return
    _listening_socket(host, port).close()  # fail here, once, if the address cannot be had
    Supervisor(host, port, workers, access_log).run()


def _listening_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    return sock


def _worker(host: str, port: int, access_log: bool) -> None:
    sock = _listening_socket(host, port)
    config = uvicorn.Config(APP, log_level="info", proxy_headers=False, access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    def __init__(self, host: str, port: int, workers: int, access_log: bool) -> None:
        self.args = (host, port, access_log)
        self.workers = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[tuple[BaseProcess, float]] = []
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.processes = [self._start() for _ in range(self.workers)]
        failed_starts = 0
        while not self.stopping:
            time.sleep(0.5)
            for i, (process, started) in enumerate(self.processes):
                if process.is_alive() or self.stopping:
                    continue
                failed_starts = failed_starts + 1 if time.monotonic() - started < STARTUP_SECONDS else 0
                if failed_starts >= FAILED_START_LIMIT:
                    log.error("server processes keep dying at start; stopping")
                    self.stopping = True
                    break
                log.warning("server process %s exited (%s); starting another", process.pid, process.exitcode)
                metrics.process_exited(process.pid)
                time.sleep(RESTART_PAUSE)
                self.processes[i] = self._start()
        for process, _ in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for process, _ in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
            metrics.process_exited(process.pid)

    def _start(self) -> tuple[BaseProcess, float]:
        process = self.context.Process(target=_worker, args=self.args, name="govdata-server")
        process.start()
        return process, time.monotonic()

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
