"""The backup archive (第二十四条): one tar file holding the database, the home's files and a signed manifest.

Layout: `database.sqlite` (SQLite's online backup) or `database.pgdump` (`pg_dump --format=custom`), then
`home/<path>` for every file of the platform home that matters (uploads, vendors' agreement files, exports, the
installation key `secret_key`, the seal keys), and last `manifest.json`: each member's size and sha256, the app
version, the schema revisions, the database kind and the time, signed with the installation's audit seal key.

Why Ed25519 with the seal key rather than HMAC with the installation key: an HMAC is checked only by whoever holds
the secret, and the secret travels inside the archive; a public key is checked by anyone holding
`audit_seal_key.pub` or a seal export (kept off the machine, see the operator guide), and it is the same key
whose public half tells one platform's archive from another's. The archive holds the private keys too (a
restore needs them), so it is written 0600 and must be kept as carefully as the home itself — unless written
`--without-private-keys` (for off-site copies): then the private seal key stays out, the manifest lists it under
`withheld`, checking still needs only the public key, and a restore must be handed the key.

Streamed both ways (`w|` / `r|*`): memory stays flat whatever the size; reading checks every member's sha256 as
it passes. Compression follows the name: a PATH ending in `.tar.gz` or `.tgz` is gzipped (level 1), any other is a
plain tar, and reading finds out by itself. Measured on the 1,000,000-row bench (bench/bench_backup.py, SQLite, a
loaded 2-core machine): plain tar 2.6 s and 113 MB, gzip level 1 3.8 s and 18.6 MB — six times smaller for 1.2 s
more, so the daily job and the operator guide use `.tar.gz`. (A PostgreSQL dump is compressed by pg_dump already;
gzip gains little there.) Python 3.11's stream mode would compress at level 9, hence the GzipFile around it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

import orjson
from pydantic import BaseModel, Field, ValidationError

from govdata.audit.sealkey import PublicKey, SealKey
from govdata.errors import GovdataError

FORMAT = "govdata-backup/1"
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024
Progress = Callable[[int], None]  # bytes just handled


class ArchiveError(GovdataError):
    """The archive cannot be trusted or used: what is wrong, in Chinese."""

    status = 422


class Member(BaseModel):
    name: str = Field(min_length=1, max_length=4096)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Signer(BaseModel):
    algorithm: Literal["ed25519"]
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    key_id: str


class Manifest(BaseModel):
    format: Literal["govdata-backup/1"]
    app_version: str
    schema_revisions: list[str] = Field(min_length=1)
    database_kind: Literal["sqlite", "postgresql"]
    created_at: datetime
    members: list[Member] = Field(min_length=1)
    signer: Signer
    # Home files deliberately left out (`govdata backup --without-private-keys`): the private seal key, which a
    # restore must be given. Absent from archives that hold everything, so their signed bytes stay as they were.
    withheld: list[str] = Field(default_factory=list)

    def canonical(self) -> bytes:
        """The bytes signed: sorted keys, no spaces, so the writer and any reader agree (`withheld` only when
        something was withheld: archives written before it existed still verify)."""
        data = self.model_dump(mode="json", exclude=None if self.withheld else {"withheld"})
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBERS[self.database_kind]

    @property
    def home_members(self) -> list[Member]:
        return [m for m in self.members if m.name.startswith("home/")]

    @property
    def public_key(self) -> PublicKey:
        return PublicKey(bytes.fromhex(self.signer.public_key))


class SignedManifest(BaseModel):
    manifest: Manifest
    signature: str = Field(pattern=r"^[0-9a-f]{128}$")


class _HashingReader:
    """Reads `size` bytes from a file, hashing them and reporting progress (tarfile copies from it)."""

    def __init__(self, source: BinaryIO, progress: Progress | None) -> None:
        self.source = source
        self.digest = hashlib.sha256()
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        if self.progress is not None and data:
            self.progress(len(data))
        return data


class _HashingWriter:
    """The archive file as it is written: its sha256 and size, for the record of the run."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.target.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self.target.flush()


class ArchiveWriter:
    """Adds members one by one and, at `close`, the signed manifest."""

    def __init__(self, tar: tarfile.TarFile, output: _HashingWriter) -> None:
        self.tar = tar
        self.output = output  # its digest and size are the archive's once the `writing` block has ended
        self.members: list[Member] = []

    def add_file(self, name: str, path: Path, progress: Progress | None = None) -> Member | None:
        """Copy the file at `path` in as `name`; a file that went away meanwhile is left out (None)."""
        try:
            source = path.open("rb")
        except FileNotFoundError:
            return None
        with source:
            size = os.fstat(source.fileno()).st_size
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = size, 0o600, int(os.fstat(source.fileno()).st_mtime)
            reader = _HashingReader(source, progress)
            self.tar.addfile(info, reader)  # type: ignore[arg-type]
        member = Member(name=name, size=size, sha256=reader.digest.hexdigest())
        self.members.append(member)
        return member

    def finish(self, manifest: Manifest, key: SealKey) -> None:
        canonical = manifest.canonical()  # what is signed is what is written (no empty `withheld`)
        signed = {"manifest": orjson.loads(canonical), "signature": key.sign(canonical).hex()}
        data = orjson.dumps(signed, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(data), 0o600
        self.tar.addfile(info, _BytesReader(data))  # type: ignore[arg-type]


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.at + size
        chunk, self.at = self.data[self.at:end], min(end, len(self.data))
        return chunk


def is_gzip_name(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz"))


@contextmanager
def writing(partial: Path, *, compress: bool) -> Iterator[ArchiveWriter]:
    """An archive written to `partial` (0600 from its first byte); the caller renames it into place."""
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as raw:
        output = _HashingWriter(raw)
        if compress:
            with (gzip.GzipFile(fileobj=output, mode="wb", compresslevel=1, mtime=0) as zipped,  # type: ignore[arg-type]
                  tarfile.open(fileobj=zipped, mode="w|", format=tarfile.PAX_FORMAT) as tar):
                yield ArchiveWriter(tar, output)
        else:
            with tarfile.open(fileobj=output, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
                yield ArchiveWriter(tar, output)
        raw.flush()
        os.fsync(raw.fileno())


def archive_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return not pure.is_absolute() and ".." not in pure.parts and "\\" not in name and name == str(pure)


MemberSink = Callable[[str, BinaryIO], None]  # called with each member's name and a reader of its bytes


def read_archive(path: Path, *, sink: MemberSink | None = None, progress: Progress | None = None) -> Manifest:
    """Read the whole archive once, checking every member against the signed manifest; `sink`, when given,
    receives each member's bytes as they pass (a restore writes them to its staging folder). Raises
    `ArchiveError` saying what is wrong; returns the manifest only when everything matches and the signature
    holds (whose key signed it is the caller's question: `Manifest.signer`)."""
    if not path.is_file():
        raise ArchiveError(f"备份文件不存在：{path}", field="path")
    seen: dict[str, tuple[int, str]] = {}
    raw_manifest: bytes | None = None
    try:
        with _opened(path) as (tar, stream):
            for info in tar:
                if raw_manifest is not None:
                    raise ArchiveError(f"清单之后还有内容（{info.name}）：备份文件被改动过", field="path")
                if not info.isfile() or not _safe_name(info.name):
                    raise ArchiveError(f"备份文件含有不应有的条目：{info.name[:200]}", field="path")
                source = tar.extractfile(info)
                assert source is not None
                if info.name == MANIFEST:
                    raw_manifest = source.read(16 * 1024 * 1024)
                    continue
                if info.name in seen:
                    raise ArchiveError(f"备份文件中 {info.name} 出现了两次：备份文件被改动过", field="path")
                reader = _HashingReader(source, progress)  # type: ignore[arg-type]
                if sink is not None:
                    sink(info.name, reader)  # type: ignore[arg-type]
                while reader.read(CHUNK):  # whatever the sink left unread
                    pass
                seen[info.name] = (info.size, reader.digest.hexdigest())
            while stream.read(CHUNK):  # to the very end, so gzip checks its CRC over every byte, padding included
                pass
    except ArchiveError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ArchiveError(f"备份文件不完整或已损坏（{_reason(exc)}），无法读取：{path}", field="path") from exc
    if raw_manifest is None:
        raise ArchiveError("备份文件没有清单（manifest.json）：文件不完整（可能被截断）", field="path")
    manifest = _parse(raw_manifest)
    _check_members(manifest, seen)
    return manifest


@contextmanager
def _opened(path: Path) -> Iterator[tuple[tarfile.TarFile, BinaryIO]]:
    """The archive as a streamed tar, and the stream under it. A gzipped one is read through GzipFile rather than
    tar's own `r|gz`, which never checks the CRC: a flipped bit in the tar padding or after the end marker would
    otherwise pass unseen."""
    with path.open("rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw  # type: ignore[assignment]
        with stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            yield tar, stream


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, EOFError) or "unexpected end" in text or "truncated" in text.lower():
        return "文件在中途结束，可能被截断"
    if isinstance(exc, zlib.error | gzip.BadGzipFile) or "CRC" in text:
        return "压缩数据校验失败"
    return "tar 结构有误"


def _parse(raw: bytes) -> Manifest:
    try:
        signed = SignedManifest.model_validate_json(raw)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) if exc.errors() else ""
        raise ArchiveError(f"清单格式不对（{where or '无法解析'}）：不是本平台的备份文件，或已被改动",
                           field="manifest") from exc
    manifest = signed.manifest
    if not manifest.public_key.verifies(bytes.fromhex(signed.signature), manifest.canonical()):
        raise ArchiveError("清单的签名不成立：清单在签名后被改动过", field="signature")
    return manifest


def _check_members(manifest: Manifest, seen: dict[str, tuple[int, str]]) -> None:
    listed = {m.name: m for m in manifest.members}
    if len(listed) != len(manifest.members):
        raise ArchiveError("清单中有重复的条目", field="manifest")
    if manifest.database_member not in listed:
        raise ArchiveError(f"清单中没有数据库（{manifest.database_member}）", field="manifest")
    for name in manifest.withheld:
        if name in listed or not _safe_name(name) or not name.startswith("home/"):
            raise ArchiveError(f"清单的未包含项不对：{name[:200]}", field="manifest")
    for name in listed:
        if not _safe_name(name) or not (name == manifest.database_member or name.startswith("home/")):
            raise ArchiveError(f"清单含有不应有的条目：{name[:200]}", field="manifest")
    for name, member in listed.items():
        if name not in seen:
            raise ArchiveError(f"备份文件缺少 {name}：文件不完整或被改动过", field="path")
        size, sha256 = seen[name]
        if size != member.size or sha256 != member.sha256:
            raise ArchiveError(f"{name} 的校验和不符（应为 {member.sha256[:16]}…，实为 {sha256[:16]}…）："
                               f"备份文件被改动过或已损坏", field="path")
    extra = sorted(set(seen) - set(listed))
    if extra:
        raise ArchiveError(f"备份文件中有清单未列出的内容：{extra[0][:200]}", field="path")
