"""Seals on the hash chain: made by the hourly job and on demand, left by a purge, exported to keep elsewhere.

The chain alone proves only that its events fit together: anyone who can write to the database can change an
event, recompute every hash after it and move `audit_head`, or delete the last events and move the head, and the
walk still passes. A seal is the chain's last seq and hash at a moment, signed with the installation's Ed25519
key (`sealkey`), which the database does not hold; `sealcheck` compares the chain with the seals. Exported seals
(`export_seals`), kept off the machine, still hold when the database and its stored seals were both rewritten.

A seal covers the audit event that records its own making (it signs the head after appending that event), so
the chain is sealed up to and including it, and a second seal with nothing new in between is not made.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit import chain, sealkey
from govdata.audit.models import AuditHead, AuditSeal
from govdata.audit.schemas import SealFile, SealKeyRecord, SealRecord
from govdata.audit.sealkey import PublicKey, SealKey
from govdata.audit.service import acting, write_pending
from govdata.errors import GovdataError, RuleViolation
from govdata.policy import Action

SIGNED_FORMAT = "govdata-audit-seal/1"


class SealFileError(GovdataError):
    """A seal file that cannot be read as one (missing, not JSON, not a seal export)."""


def signed_message(kind: str, seq: int, hash: str, sealed_at: datetime) -> bytes:
    """The bytes a seal's signature is over: what it states, and when (UTC, as written in an export)."""
    return f"{SIGNED_FORMAT}\n{kind}\n{seq}\n{hash}\n{sealed_at:%Y-%m-%dT%H:%M:%S.%f}Z".encode()


def _sign(db: Session, key: SealKey, *, kind: str, seq: int, hash: str) -> AuditSeal:
    at = clock.now()
    seal = AuditSeal(kind=kind, seq=seq, hash=hash, sealed_at=at, key_id=key.public.key_id,
                     public_key=key.public.hex, signature=key.sign(signed_message(kind, seq, hash, at)).hex())
    db.add(seal)
    db.flush()
    return seal


def last_seal(db: Session) -> AuditSeal | None:
    return db.execute(select(AuditSeal).where(AuditSeal.kind == "seal")
                      .order_by(AuditSeal.seq.desc(), AuditSeal.id.desc()).limit(1)).scalar_one_or_none()


def seal_chain(db: Session, actor: Actor, *, key: SealKey, action: Action = Action.AUDIT_SEAL,
               details: dict[str, Any] | None = None) -> AuditSeal | None:
    """Seal the chain at its last event, which is this seal's own audit event (`action`).

    Returns None, writing nothing, when the chain's last event is already sealed (AUDIT_SEAL only: a key
    rotation always seals, with the new key). Holds the head's lock from the check to the commit, so no writer
    comes between the seal's event and its signature.
    """
    policy.require(actor, action)
    head, _counts = chain.lock_head(db.connection())
    previous = last_seal(db)
    if action is Action.AUDIT_SEAL and previous is not None and previous.seq == head.seq:
        return None
    with acting(db, actor, action, target_type="audit", medium="database") as audit:
        audit.details = {"key_id": key.public.key_id, "previous_seal_seq": previous.seq if previous else None,
                         **(details or {})}
    write_pending(db)
    head, _counts = chain.lock_head(db.connection())
    return _sign(db, key, kind="seal", seq=head.seq, hash=head.hash)


def rotate_key(db: Session, actor: Actor, *, home: Path) -> tuple[PublicKey | None, AuditSeal]:
    """Retire the seal key and seal the chain with the new one at once (the rotation's own event is the first
    the new key seals). The retired key's public half stays trusted, so its seals still verify."""
    policy.require(actor, Action.AUDIT_SEAL_ROTATE)
    retired, key = sealkey.rotate(home)
    seal = seal_chain(db, actor, key=key, action=Action.AUDIT_SEAL_ROTATE,
                      details={"retired_key_id": retired.key_id if retired else None})
    assert seal is not None  # a rotation always seals
    return retired, seal


def leave_checkpoint(db: Session, key: SealKey, *, seq: int, hash: str) -> AuditSeal:
    """A purge's signed checkpoint: the last purged event's seq and hash, where the kept chain now starts.
    Called inside the purge's own `acting` (its event records it)."""
    return _sign(db, key, kind="checkpoint", seq=seq, hash=hash)


def adopt_start(db: Session, actor: Actor, *, key: SealKey) -> AuditSeal:
    """For a trail purged before seals existed (its start has no checkpoint, so it no longer verifies): sign the
    chain's current start as a checkpoint, on the record. Refused once any checkpoint exists, since every purge
    since leaves its own, and for a chain that was never purged."""
    with acting(db, actor, Action.AUDIT_SEAL, target_type="audit", medium="database") as audit:
        head = db.get(AuditHead, 1)
        if head is None or head.anchor_seq == 0:
            raise RuleViolation("审计链从未清理过，开头无需补签检查点", field="start")
        if db.execute(select(AuditSeal.id).where(AuditSeal.kind == "checkpoint").limit(1)).first() is not None:
            raise RuleViolation("已有签名的清理检查点：只有升级前清理过、从未留下检查点的审计链可以补签开头",
                                field="start")
        checkpoint = leave_checkpoint(db, key, seq=head.anchor_seq, hash=head.anchor_hash)
        audit.details = {"adopted_start": head.anchor_seq, "checkpoint_id": checkpoint.id,
                         "key_id": checkpoint.key_id}
    return checkpoint


def list_seals(db: Session, actor: Actor, *, limit: int = 50) -> list[AuditSeal]:
    """The latest seals and checkpoints, newest first (the seals page)."""
    policy.require(actor, Action.AUDIT_SEAL_VIEW)
    return list(db.execute(select(AuditSeal).order_by(AuditSeal.id.desc()).limit(limit)).scalars())


def stored_seals(db: Session) -> list[SealRecord]:
    """Every seal and checkpoint in the database, oldest first (for checking; no permission of its own: the
    verification that reads them is checked and recorded by its caller)."""
    rows = db.execute(select(AuditSeal).order_by(AuditSeal.id)).scalars()
    return [SealRecord.model_validate(row) for row in rows]


def export_seals(db: Session, actor: Actor) -> SealFile:
    """Every seal and checkpoint with the public keys that signed them, recorded as an export."""
    with acting(db, actor, Action.AUDIT_SEAL_EXPORT, target_type="audit", medium="file") as audit:
        rows = list(db.execute(select(AuditSeal).order_by(AuditSeal.id)).scalars())
        keys = {row.key_id: row.public_key for row in rows}
        exported = SealFile(exported_at=clock.now(),
                            public_keys=[SealKeyRecord(key_id=k, public_key=v) for k, v in keys.items()],
                            seals=[SealRecord.model_validate(row) for row in rows])
        audit.row_count = len(rows)
        audit.details = {"seals": len(rows), "last_seq": max((r.seq for r in rows), default=None),
                         "key_ids": sorted(keys)}
    return exported


def dump_seal_file(seal_file: SealFile) -> bytes:
    return orjson.dumps(seal_file.model_dump(mode="json"), option=orjson.OPT_INDENT_2) + b"\n"


def write_seal_file(path: Path, seal_file: SealFile) -> None:
    """Written whole or not at all: a half-written export must not replace a good one."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(dump_seal_file(seal_file))
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise SealFileError(f"封印文件无法写入：{path}（{exc.strerror or exc}）", field="file") from exc


def read_seal_file(path: Path) -> SealFile:
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise SealFileError(f"封印文件无法读取：{path}（{exc.strerror or exc}）", field="seals") from exc
    except orjson.JSONDecodeError as exc:
        raise SealFileError(f"封印文件不是 JSON：{path}", field="seals") from exc
    try:
        return SealFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "文件"
        raise SealFileError(f"不是有效的审计封印导出文件：{path}（{where}：{first['msg']}）", field="seals") from exc
