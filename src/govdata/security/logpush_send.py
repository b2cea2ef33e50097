"""Handing a batch to its unit: into a folder, or by POST to the unit's endpoint. Nothing here touches the
database; a batch counts as delivered only when `deliver` returns (the caller then acknowledges it).

Folder: each file is written under a hidden temporary name, flushed to disk and renamed into place, the
manifest last, so the unit never reads a half-written file and a manifest in the folder means its batch is
whole. The same batch sent again has the same names and bytes, so a retry after a crash between the rename
and the acknowledgement replaces identical files: the unit still has each event once.

HTTPS: one POST of a JSON body (`format`, `manifest`, `signature`, `files` with their text), carrying the
manifest's SHA-256 as `Idempotency-Key`, so a receiver can tell a retried batch from a new one. Acknowledged by
a 2xx answer; when the answer is JSON with a `sha256`, it must be the manifest's. Redirects are not followed,
and every step of the exchange is bounded by the timeout, so a hanging endpoint costs one timeout, not the job.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from govdata.security.logpush_bundle import FORMAT, Bundle
from govdata.security.logpush_models import DestinationKind

_OS_ERRORS = {errno.ENOENT: "目录不存在", errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限",
              errno.ENOSPC: "磁盘空间不足", errno.EROFS: "目录只读", errno.ENOTDIR: "路径不是目录"}


MAX_REPLY = 64 * 1024


class DeliveryFailed(Exception):
    """A delivery that was not acknowledged; the message is what the unit's page shows (Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Parcel:
    kind: str
    destination: str
    bundle: Bundle


def deliver(parcel: Parcel, *, timeout: float) -> None:
    """Deliver the parcel or raise `DeliveryFailed` saying why."""
    if parcel.kind == DestinationKind.FOLDER:
        to_folder(Path(parcel.destination), parcel.bundle)
    else:
        to_endpoint(parcel.destination, parcel.bundle, timeout=timeout)


def _write_atomically(folder: Path, name: str, data: bytes) -> None:
    partial = folder / f".{name}.{os.getpid()}.tmp"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, folder / name)
    finally:
        partial.unlink(missing_ok=True)


def to_folder(folder: Path, bundle: Bundle) -> None:
    if not folder.is_dir():  # never made here: a missing mount must not fill the platform's own disk
        raise DeliveryFailed(f"写入目录失败：{folder} 不存在或不是目录")
    try:
        _write_atomically(folder, bundle.lines_name, bundle.lines)
        _write_atomically(folder, bundle.signature_name, (bundle.signature + "\n").encode())
        _write_atomically(folder, bundle.manifest_name, bundle.manifest)
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as exc:
        why = _OS_ERRORS.get(exc.errno or 0, exc.strerror or "未知错误")
        raise DeliveryFailed(f"写入目录 {folder} 失败：{why}") from exc


def body(bundle: Bundle) -> bytes:
    return orjson.dumps({"format": FORMAT, "manifest": bundle.manifest.decode(), "signature": bundle.signature,
                         "files": [{"name": bundle.lines_name, "content": bundle.lines.decode()}]})


def to_endpoint(url: str, bundle: Bundle, *, timeout: float) -> None:
    headers = {"Content-Type": "application/json", "Idempotency-Key": bundle.manifest_sha256,
               "X-Govdata-Batch": bundle.base}
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False) as client, \
                client.stream("POST", url, content=body(bundle), headers=headers) as answer:
            status, kind, reply = answer.status_code, answer.headers.get("content-type", ""), _head(answer, timeout)
    except httpx.TimeoutException as exc:
        raise DeliveryFailed(f"接收地址在 {timeout:g} 秒内没有答复（超时）") from exc
    except httpx.ConnectError as exc:
        raise DeliveryFailed("无法连接接收地址（连接被拒绝、域名无法解析或网络不通）") from exc
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"与接收地址通信失败：{type(exc).__name__}") from exc
    if not 200 <= status < 300:
        raise DeliveryFailed(f"接收方答复 HTTP {status}，未确认接收")
    echoed = _echoed(kind, reply)
    if echoed is not None and echoed != bundle.manifest_sha256:
        raise DeliveryFailed("接收方回执中的 sha256 与清单不符，未确认接收")


def _head(answer: httpx.Response, timeout: float) -> bytes:
    """The start of the answer (a receipt is short): at most `MAX_REPLY` bytes, read within twice the timeout,
    so that an endpoint trickling an endless answer cannot hold the job."""
    deadline = time.monotonic() + 2 * timeout
    read = b""
    for chunk in answer.iter_bytes():
        read += chunk
        if len(read) >= MAX_REPLY or time.monotonic() > deadline:
            break
    return read[:MAX_REPLY]


def _echoed(kind: str, reply: bytes) -> str | None:
    if not kind.startswith("application/json"):
        return None
    try:
        parsed = orjson.loads(reply)
    except orjson.JSONDecodeError:
        return None
    value = parsed.get("sha256") if isinstance(parsed, dict) else None
    return str(value) if value is not None else None
