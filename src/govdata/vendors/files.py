"""The signed agreement files, kept under `$GOVDATA_HOME/vendor-agreements/` with their SHA-256.

Only PDF, JPEG and PNG are kept, told by their first bytes as well as their name (a renamed executable is
not a scan), and only up to `vendor_agreement_max_bytes`; the file is copied in chunks and hashed on the way,
so memory stays flat. A download re-hashes the file and refuses one that no longer matches what was recorded.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from govdata.errors import Conflict, NotFound, PayloadTooLarge, RuleViolation

CHUNK = 64 * 1024
FOLDER = "vendor-agreements"
# suffix → (media type, the bytes such a file starts with)
KINDS: dict[str, tuple[str, bytes]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
}
KIND_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


@dataclass(frozen=True)
class StoredFile:
    key: str  # the file's name in the folder
    name: str  # as uploaded
    media_type: str
    size: int
    sha256: str


def size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"


def folder(home: Path) -> Path:
    path = home / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def _kind(name: str, head: bytes) -> tuple[str, str]:
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        raise RuleViolation("保密协议文件只接受 PDF、JPEG 或 PNG 格式", field="file")
    media_type, magic = KINDS[suffix]
    if not head:
        raise RuleViolation("文件为空", field="file")
    if not head.startswith(magic):
        raise RuleViolation(f"文件内容不是 {KIND_NAMES[media_type]}（与扩展名 {suffix} 不符）", field="file")
    return suffix, media_type


def store(home: Path, *, name: str, stream: BinaryIO, max_bytes: int) -> StoredFile:
    """Check, copy and hash an uploaded file; nothing is left behind when it is refused."""
    head = stream.read(CHUNK)
    suffix, media_type = _kind(name, head)
    key = f"{secrets.token_hex(16)}{suffix}"
    path = folder(home) / key
    partial = path.with_name(key + ".part")
    digest, size = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"保密协议文件不能超过 {size_text(max_bytes)}", field="file")
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(CHUNK)
        partial.rename(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredFile(key, Path(name).name[:200], media_type, size, digest.hexdigest())


def remove(home: Path, key: str) -> None:
    (folder(home) / Path(key).name).unlink(missing_ok=True)


def read_checked(home: Path, *, key: str, sha256: str) -> bytes:
    """The recorded file's bytes, refused when the file is gone or is no longer the one recorded."""
    path = folder(home) / Path(key).name
    if not path.is_file():
        raise NotFound("协议文件不在平台存储中（请从备份恢复）", field="file")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Conflict("协议文件与登记时的 SHA-256 不一致，可能已被改动，请从备份恢复", field="file")
    return data
