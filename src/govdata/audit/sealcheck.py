"""Checking the chain against its seals: `govdata audit verify [--seals FILE]` and the seals page.

After the chain's own walk (`chain.verify`), every seal must be signed by a trusted key (`sealkey.trusted`) and
name an event the chain still has, with the hash the chain gives it:

- a sealed seq past the chain's end: the tail was cut (events deleted and the head moved back);
- a sealed seq whose hash differs: the chain was rewritten and re-hashed somewhere between the seal before it
  and this one;
- a chain that starts after seq 0 needs a signed purge checkpoint at its start, or its first events were deleted
  by hand rather than purged;
- seals of events purged since are skipped (the checkpoint speaks for them).

What this proves and does not is in the operator guide (section 3): the chain up to the last seal checked is what
was sealed; events after it, events never written, and a trail whose seals and key were all taken are beyond it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.audit import chain, sealkey
from govdata.audit.models import AuditEvent, AuditSeal
from govdata.audit.schemas import SealRecord
from govdata.audit.sealing import list_seals, signed_message, stored_seals
from govdata.audit.sealkey import PublicKey
from govdata.audit.service import acting
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.storage.engines import Database
from govdata.timeutil import fmt

FILE = "封印文件"
DATABASE = "数据库"
_LOOKUP_CHUNK = 500  # seqs per IN list


@dataclass(frozen=True)
class Sealed:
    """A seal and where it was read from (FILE or DATABASE), as messages name it."""

    record: SealRecord
    source: str


@dataclass
class Verdict:
    chain: chain.VerifyResult
    ok: bool = True
    problem: str = ""  # one line in Chinese naming what is wrong, for the operator
    first_bad_seq: int | None = None
    seals_checked: int = 0  # seals whose event the chain still has, matched
    seals_purged: int = 0  # seals of events purged since
    last_sealed_seq: int | None = None  # the last seal matched
    sources: list[str] = field(default_factory=list)

    def fail(self, problem: str, seq: int | None) -> Verdict:
        self.ok, self.problem, self.first_bad_seq = False, problem, seq
        return self


def verify_trail(database: Database, actor: Actor, *, trusted: dict[str, PublicKey],
                 file_seals: Iterable[SealRecord] = (), progress: Callable[[int], Any] | None = None) -> Verdict:
    """Check the chain against `file_seals` and the stored seals, and record the verification (its own unit of
    work, after the walk: a verification is on the record whatever it found)."""
    policy.require(actor, Action.AUDIT_VERIFY)
    with database.read() as db:  # before the walk: every seal read names an event the walk will see
        seals = gather(file_seals, stored_seals(db))
    with database.engine.connect() as conn:
        verdict = check(conn, seals, trusted, progress=progress)
    with database.write() as db:
        record_verification(db, actor, verdict)
    return verdict


def gather(file_seals: Iterable[SealRecord] = (), stored: Iterable[SealRecord] = ()) -> list[Sealed]:
    """The seals to check, each once (a seal exported and still stored is the same seal), in seq order."""
    seen: set[tuple[str, int, str, str]] = set()
    found = []
    for source, records in ((FILE, file_seals), (DATABASE, stored)):
        for record in records:
            identity = (record.kind, record.seq, record.hash, record.signature)
            if identity not in seen:
                seen.add(identity)
                found.append(Sealed(record, source))
    return sorted(found, key=lambda s: (s.record.seq, s.record.id))


def check(conn: Connection, seals: list[Sealed], trusted: dict[str, PublicKey],
          progress: Callable[[int], Any] | None = None) -> Verdict:
    """Walk the chain on `conn`, then hold every seal against it. Read the seals before calling (they name only
    events that existed then, and the walk sees at least those)."""
    result = chain.verify(conn, progress=progress)
    verdict = Verdict(result, sources=sorted({s.source for s in seals}))
    if not result.ok:
        return verdict.fail(f"审计链在序号 {result.first_bad_seq} 处断开：{result.problem}", result.first_bad_seq)
    for sealed in seals:
        problem = _untrusted(sealed, trusted)
        if problem:
            return verdict.fail(problem, sealed.record.seq)
    problem = _start_problem(result, seals)
    if problem:
        return verdict.fail(problem, result.anchor_seq)
    # The same snapshot as the walk on PostgreSQL (verify left its repeatable-read transaction open).
    hashes = _hashes(conn, [s.record.seq for s in seals if result.anchor_seq < s.record.seq <= result.head_seq])
    hashes[result.anchor_seq] = result.anchor_hash
    return _against_chain(verdict, seals, hashes)


def _untrusted(sealed: Sealed, trusted: dict[str, PublicKey]) -> str:
    record = sealed.record
    key = trusted.get(record.key_id)
    if key is not None and key.verifies(bytes.fromhex(record.signature),
                                        signed_message(record.kind, record.seq, record.hash, record.sealed_at)):
        return ""
    where = f"{sealed.source}中序号 {record.seq} 的{_kind(record)}（{fmt(record.sealed_at)}）"
    if key is None:
        return (f"封印不可信：{where}由未知的密钥 {record.key_id} 签署，不是本平台的封印密钥"
                f"（若为已更换的旧密钥，请用 --public-key 给出其公钥）")
    return f"封印不可信：{where}的签名与内容不符（封印被改动或伪造）"


def _kind(record: SealRecord) -> str:
    return "封印" if record.kind == "seal" else "清理检查点"


def _start_problem(result: chain.VerifyResult, seals: list[Sealed]) -> str:
    """A chain that starts after seq 0 must start where a signed checkpoint says a purge left it."""
    if result.anchor_seq == 0:
        return ""
    for sealed in seals:
        record = sealed.record
        if record.kind == "checkpoint" and record.seq == result.anchor_seq and record.hash == result.anchor_hash:
            return ""
    return (f"审计链开头的事件被删除：链从序号 {result.anchor_seq + 1} 开始，但没有与之相符的签名清理检查点"
            f"（序号 {result.anchor_seq} 及之前的事件不是由 govdata audit purge 清理的）")


def _hashes(conn: Connection, seqs: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    wanted = sorted(set(seqs))
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        part = wanted[start:start + _LOOKUP_CHUNK]
        rows = conn.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_(part)))
        found.update({seq: hash for seq, hash in rows})
    return found


def _against_chain(verdict: Verdict, seals: list[Sealed], hashes: dict[int, str]) -> Verdict:
    result = verdict.chain
    good = result.anchor_seq  # the last seq known to be as sealed (the chain's start is, by its checkpoint)
    for sealed in seals:
        record = sealed.record
        when = fmt(record.sealed_at)
        if record.seq < result.anchor_seq:
            verdict.seals_purged += 1
            continue
        if record.seq > result.head_seq:
            return verdict.fail(
                f"审计链末尾被截断：链只到序号 {result.head_seq}，而{sealed.source}中 {when} 的{_kind(record)}"
                f"记录到序号 {record.seq}（序号 {result.head_seq + 1} 至 {record.seq} 的事件被删除）",
                result.head_seq + 1)
        if hashes.get(record.seq) != record.hash:
            return verdict.fail(
                f"审计链被改写：序号 {record.seq} 的哈希与{sealed.source}中 {when} 的{_kind(record)}不符"
                f"（序号 {good + 1} 至 {record.seq} 之间有事件在封印后被改动，并重新计算了哈希）", record.seq)
        good = max(good, record.seq)
        verdict.seals_checked += 1
        verdict.last_sealed_seq = record.seq
    return verdict


def summary(verdict: Verdict) -> str:
    """The line after `N events verified` when the seals hold."""
    if not verdict.sources:
        return "没有可核对的封印：只校验了哈希链（govdata audit seal 生成封印，govdata audit seal export 导出）"
    purged = f"，另有 {verdict.seals_purged} 个封印所在的事件已清理" if verdict.seals_purged else ""
    last = f"，最后一个封印在序号 {verdict.last_sealed_seq}" if verdict.last_sealed_seq is not None else ""
    return (f"封印核对通过（{'与'.join(verdict.sources)}）：{verdict.seals_checked} 个封印与审计链相符"
            f"{last}{purged}")


def record_verification(db: Session, actor: Actor, verdict: Verdict) -> None:
    """A verification is itself on the record (the seals page shows the last one); a failed one as `error`."""
    with acting(db, actor, Action.AUDIT_VERIFY, target_type="audit", medium="database") as audit:
        audit.outcome = "ok" if verdict.ok else "error"
        audit.row_count = verdict.chain.checked
        audit.details = {"ok": verdict.ok, "problem": verdict.problem, "first_bad_seq": verdict.first_bad_seq,
                         "seals_checked": verdict.seals_checked, "seals_purged": verdict.seals_purged,
                         "last_sealed_seq": verdict.last_sealed_seq, "sources": verdict.sources}


@dataclass
class SealOverview:
    """What the seals page shows: the key, the latest seals, the last verification."""

    seals: list[AuditSeal]
    key: PublicKey | None
    key_problem: str
    last_verification: AuditEvent | None
    last_verification_details: dict[str, Any]


def overview(db: Session, actor: Actor, *, home: Path) -> SealOverview:
    seals = list_seals(db, actor)
    try:
        key, key_problem = sealkey.current_public(home), ""
    except GovdataError as exc:
        key, key_problem = None, exc.message
    last = last_verification(db)
    return SealOverview(seals, key, key_problem, last, orjson.loads(last.details) if last else {})


def last_verification(db: Session) -> AuditEvent | None:
    return db.execute(select(AuditEvent).where(AuditEvent.action == Action.AUDIT_VERIFY.value)
                      .order_by(AuditEvent.at.desc(), AuditEvent.seq.desc()).limit(1)).scalar_one_or_none()
