"""The seal key: the Ed25519 key pair that signs audit seals, kept in the home.

`$GOVDATA_HOME/audit_seal_key` holds the private key (PEM, mode 0600), made on first need like `secret_key`;
`audit_seal_key.pub` lists every public key the installation has sealed with (one a line, the current one last),
which is all that checking needs. Ed25519 because a signature is 64 bytes and a key 32, both quick to make and to
check (a signature is what checking a seal costs: 8,760 seals, a year of hourly ones, took 0.9 to 1.8 s on a
shared 2-core machine at load 9, where walking 200,000 events took 0.5 to 0.9 s), and `cryptography` has it.

A key can be retired (`rotate`): its private file is replaced, its public half stays listed, so its seals still
verify and nobody can sign new ones with it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from govdata.errors import GovdataError

KEY_FILE = "audit_seal_key"
PUBLIC_FILE = "audit_seal_key.pub"


class SealKeyError(GovdataError):
    """The seal key cannot be used (unreadable, too open, malformed)."""


@dataclass(frozen=True)
class PublicKey:
    raw: bytes

    @property
    def hex(self) -> str:
        return self.raw.hex()

    @property
    def key_id(self) -> str:
        """A short name for the key: the first 16 hex digits of its sha256 (shown on pages and in messages)."""
        return hashlib.sha256(self.raw).hexdigest()[:16]

    def verifies(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class SealKey:
    private: Ed25519PrivateKey
    public: PublicKey

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def public_key(text: str) -> PublicKey:
    """A public key written as 64 hex digits (as in a seal export and `audit_seal_key.pub`)."""
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError as exc:
        raise SealKeyError(f"公钥应为 64 位十六进制数字：{text[:80]}", field="public_key") from exc
    if len(raw) != 32:
        raise SealKeyError(f"公钥应为 64 位十六进制数字：{text[:80]}", field="public_key")
    return PublicKey(raw)


def _of(private: Ed25519PrivateKey) -> SealKey:
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SealKey(private, PublicKey(raw))


def _read(path: Path) -> SealKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SealKeyError(f"封印私钥 {path} 的权限过宽（{stat.filemode(mode)}）：只应由平台账户读写，"
                           f"请执行 chmod 600 {path}")
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SealKeyError(f"封印私钥 {path} 无法读取：不是 PEM 格式的 Ed25519 私钥") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise SealKeyError(f"封印私钥 {path} 不是 Ed25519 私钥")
    return _of(private)


def _write_new(path: Path, *, replace: bool) -> SealKey:
    """A new key written to `path` whole and 0600 from its first byte. Without `replace`, a key another process
    wrote there first wins (link refuses an existing name), and that one is returned."""
    key = _of(Ed25519PrivateKey.generate())
    pem = key.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    partial = path.with_name(f".{path.name}.{os.getpid()}.new")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
        out.flush()
        os.fsync(out.fileno())
    try:
        if replace:
            os.replace(partial, path)
        else:
            try:
                os.link(partial, path)
            except FileExistsError:
                return _read(path)
    finally:
        partial.unlink(missing_ok=True)
    _list_public(path.parent, key.public)
    return key


def _list_public(home: Path, key: PublicKey) -> None:
    listed = home / PUBLIC_FILE
    known = {k.hex for k in _listed(home)}
    if key.hex not in known:
        with listed.open("a", encoding="ascii") as out:
            out.write(f"{key.hex} {key.key_id}\n")


def _listed(home: Path) -> list[PublicKey]:
    listed = home / PUBLIC_FILE
    if not listed.exists():
        return []
    return [public_key(line.split()[0]) for line in listed.read_text(encoding="ascii").splitlines() if line.strip()]


def load_or_create(home: Path) -> SealKey:
    """The current seal key, made (and its public half listed) on first need."""
    path = home / KEY_FILE
    if path.exists():
        key = _read(path)
        _list_public(home, key.public)  # a home restored without its .pub file lists the key again
        return key
    return _write_new(path, replace=False)


def current_public(home: Path) -> PublicKey | None:
    """The current key's public half, without making a key (pages, checking)."""
    path = home / KEY_FILE
    return _read(path).public if path.exists() else None


def trusted(home: Path, extra: Sequence[PublicKey] = ()) -> dict[str, PublicKey]:
    """The keys whose seals are believed, by key id: every key listed in the home (current and retired), the
    current key's public half, and `extra` (given on the command line, e.g. checking on another machine)."""
    keys = _listed(home)
    current = current_public(home)
    if current is not None:
        keys.append(current)
    keys += list(extra)
    return {k.key_id: k for k in keys}


def rotate(home: Path) -> tuple[PublicKey | None, SealKey]:
    """Retire the current key (its private file is replaced by the new key's; its public half stays listed)
    and make a new one. Returns the retired public key (None if there was none) and the new key."""
    path = home / KEY_FILE
    retired = _read(path).public if path.exists() else None
    if retired is not None:
        _list_public(home, retired)
    return retired, _write_new(path, replace=True)
