"""Realtime push over real HTTP: uvicorn on a loopback port, an NDJSON body streamed in chunks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import uvicorn

from govdata.storage.engines import Database
from tests.datastore.factories import make_entry, system_token


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def test_ndjson_stream_over_real_http(app: Any, database: Database) -> None:
    entry = make_entry(database)
    headers = {**system_token(database), "Content-Type": "application/x-ndjson", "Idempotency-Key": "stream-1"}

    def body() -> Iterator[bytes]:  # sent with chunked transfer encoding, a few lines per chunk
        for start in range(0, 3000, 250):
            yield b"".join(orjson.dumps({"sfzh": f"{i:018d}", "xm": f"人{i}", "nl": i}) + b"\n"
                           for i in range(start, start + 250))

    server, thread, base = _serve(app)
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            first = client.post(f"/api/v1/resources/{entry.code}/records", content=body(), headers=headers)
            assert first.status_code == 200, first.text
            assert (first.json()["inserted"], first.json()["rejected"]) == (3000, 0)
            again = client.post(f"/api/v1/resources/{entry.code}/records", content=body(), headers=headers)
            assert again.status_code == 200 and again.json()["replayed"] is True
            steward = client.post("/api/v1/auth/token", data={"username": "steward_gaj", "password": "govdata-demo"})
            token = {"Authorization": f"Bearer {steward.json()['access_token']}"}
            found = client.get(f"/api/v1/resources/{entry.code}/records", params={"sfzh": f"{2999:018d}"},
                               headers=token)
            assert found.json()["records"][0]["nl"] == 2999
            batches = client.get(f"/api/v1/resources/{entry.code}/batches", headers=token).json()
            assert [b["source"] for b in batches] == ["push"]
    finally:
        server.should_exit = True
        thread.join(10)
