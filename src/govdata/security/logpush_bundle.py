"""What a unit receives (第二十四条): its audit events as JSON lines, and a manifest the platform signs.

Each line is one event with names beside codes (单位、人员、操作、结果 by name, as people read them; the codes
for programs) and its time in 北京时间 with the zone (`2026-12-06T09:15:02.120000+08:00`). The manifest names the
lines file, its event count, first and last seq and SHA-256; the platform signs the manifest's exact bytes with
the audit seal key (Ed25519, `audit.sealkey`), so a unit holding the published public key can prove that the
file came from the platform whole: a changed line changes the file's SHA-256, which the signed manifest
contradicts; a changed manifest breaks the signature.

Files of batch 7 of the unit with code `gaj`: `govdata-audit-gaj-000007.jsonl`, `….manifest.json` and
`….manifest.sig` (the signature, 128 hex digits).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import orjson
from sqlalchemy.engine import RowMapping

from govdata import clock
from govdata.actor import role_label
from govdata.audit import labels
from govdata.audit.sealkey import PublicKey, SealKey
from govdata.clock import DISPLAY_TZ
from govdata.orgs.models import Unit

FORMAT = "govdata-logpush/1"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Bundle:
    """A batch's files, as sent: `lines` and `manifest` are the exact bytes, `signature` hex."""

    base: str  # file names without their endings
    lines: bytes
    manifest: bytes
    signature: str

    @property
    def lines_name(self) -> str:
        return f"{self.base}.jsonl"

    @property
    def manifest_name(self) -> str:
        return f"{self.base}.manifest.json"

    @property
    def signature_name(self) -> str:
        return f"{self.base}.manifest.sig"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.lines).hexdigest()

    @property
    def manifest_sha256(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()


def base_name(unit: Unit, batch_no: int) -> str:
    code = _UNSAFE.sub("_", unit.code) or str(unit.id)
    return f"govdata-audit-{code}-{batch_no:06d}"


def beijing(moment: Any) -> str | None:
    """A stored (naive UTC) time as ISO 8601 in 北京时间, with its +08:00."""
    if moment is None:
        return None
    return str(moment.replace(tzinfo=UTC).astimezone(DISPLAY_TZ).isoformat())


def event_line(row: RowMapping, names: labels.Names) -> dict[str, Any]:
    """One event as the unit reads it: each code followed by its name."""
    return {
        "seq": row["seq"], "at": beijing(row["at"]),
        "actor_type": row["actor_type"],
        "actor_type_name": labels.ACTOR_TYPES.get(row["actor_type"], row["actor_type"]),
        "actor": row["actor_name"],
        "actor_name": names.person(row["actor_name"]) if row["actor_type"] == "user" else row["actor_name"],
        "role": row["role"], "role_name": role_label(row["role"]),
        "unit_id": row["unit_id"], "unit_name": names.unit(row["unit_id"]),
        "owner_unit_id": row["owner_unit_id"], "owner_unit_name": names.unit(row["owner_unit_id"]),
        "action": row["action"], "action_name": labels.ACTIONS.get(row["action"], row["action"]),
        "target_type": row["target_type"], "target_id": row["target_id"],
        "target_name": labels.target_text(row["target_type"], row["target_id"]),
        "resource_code": row["resource_code"], "purpose": row["purpose"],
        "approver": row["approver"], "approver_name": names.person(row["approver"]),
        "operator": row["operator"], "operator_name": names.person(row["operator"]),
        "method": row["method"], "method_name": labels.METHODS.get(row["method"], row["method"]),
        "medium": row["medium"], "medium_name": labels.MEDIA.get(row["medium"], row["medium"]),
        "client_addr": row["client_addr"],
        "outcome": row["outcome"], "outcome_name": labels.OUTCOMES.get(row["outcome"], row["outcome"]),
        "row_count": row["row_count"], "details": orjson.loads(row["details"] or "{}"), "hash": row["hash"],
    }


def build(rows: Sequence[RowMapping], names: labels.Names, *, unit: Unit, batch_no: int, key: SealKey) -> Bundle:
    """The batch's lines, its manifest and the manifest's signature. `rows` are the events, oldest first."""
    lines = b"".join(orjson.dumps(event_line(r, names)) + b"\n" for r in rows)
    base = base_name(unit, batch_no)
    manifest = {
        "format": FORMAT,
        "unit": {"id": unit.id, "code": unit.code, "name": unit.name},
        "batch_no": batch_no,
        "created_at": beijing(clock.now()),
        "count": len(rows), "first_seq": rows[0]["seq"], "last_seq": rows[-1]["seq"],
        "files": [{"name": f"{base}.jsonl", "count": len(rows), "first_seq": rows[0]["seq"],
                   "last_seq": rows[-1]["seq"], "bytes": len(lines), "sha256": hashlib.sha256(lines).hexdigest()}],
        "signature": {"algorithm": "Ed25519", "key_id": key.public.key_id, "public_key": key.public.hex,
                      "file": f"{base}.manifest.sig"},
    }
    body = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    return Bundle(base=base, lines=lines, manifest=body, signature=key.sign(body).hex())


def verify(manifest: bytes, signature: str, files: Mapping[str, bytes], public_key: PublicKey) -> list[str]:
    """What is wrong with a received batch, in Chinese (empty: it is the platform's, whole). The unit checks
    with the public key it got from the platform's page, not with the one the manifest quotes."""
    try:
        signed = public_key.verifies(bytes.fromhex(signature.strip()), manifest)
    except ValueError:
        signed = False
    if not signed:
        return ["清单签名无效：清单被改动，或不是用平台公布的密钥签名的"]
    problems: list[str] = []
    listed = orjson.loads(manifest)
    for entry in listed.get("files", []):
        name = entry["name"]
        data = files.get(name)
        if data is None:
            problems.append(f"缺少文件 {name}")
            continue
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"文件 {name} 的 SHA-256 与清单不符：内容被改动或不完整")
            continue
        seqs = [orjson.loads(line)["seq"] for line in data.splitlines() if line.strip()]
        if len(seqs) != entry["count"] or (seqs and (seqs[0], seqs[-1]) != (entry["first_seq"], entry["last_seq"])):
            problems.append(f"文件 {name} 的条数或序号范围与清单不符")
    return problems
