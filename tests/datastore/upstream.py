"""A real upstream system on 127.0.0.1 for return-flow tests: pages, fails sometimes, changes data."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class Upstream:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.fail_every = 0  # every n-th request answers 500
        self.always_fail = False
        self.requests: list[dict[str, list[str]]] = []
        self.token = "Bearer up-secret"
        self.url = ""

    def page(self, params: dict[str, list[str]]) -> tuple[int, bytes, str]:
        self.requests.append(params)
        if self.always_fail or (self.fail_every and len(self.requests) % self.fail_every == 0):
            return 500, b"boom", "text/plain"
        rows = self.records
        since = params.get("updated_since", [None])[0]
        if since:
            rows = [r for r in rows if r["gxsj"] > since]
        fmt = params.get("format", ["json"])[0]
        if "cursor" in params or params.get("paging") == ["cursor"]:
            start = int(params.get("cursor", ["0"])[0])
            size = 3
            chunk = rows[start:start + size]
            nxt = str(start + size) if start + size < len(rows) else None
            return 200, json.dumps({"data": chunk, "next": nxt}).encode(), "application/json"
        page = int(params.get("page", ["1"])[0])
        size = int(params.get("page_size", ["1000"])[0])
        chunk = rows[(page - 1) * size: page * size]
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=["ID", "NAME", "gxsj"])
            writer.writeheader()
            writer.writerows(chunk)
            return 200, out.getvalue().encode(), "text/csv"
        return 200, json.dumps({"records": chunk}).encode(), "application/json"


@contextmanager
def upstream_server() -> Iterator[Upstream]:
    state = Upstream()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != state.token:
                self.send_response(401)
                self.end_headers()
                return
            status, body, ctype = state.page(parse_qs(urlparse(self.path).query))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/data"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
